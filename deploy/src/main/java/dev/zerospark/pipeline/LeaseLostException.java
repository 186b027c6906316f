package dev.zerospark.pipeline;

/** This run's lease was taken over (it expired unrenewed) or could not be renewed: the run stops before its next stage. */
public final class LeaseLostException extends RuntimeException {
    public LeaseLostException(String leaseUri, String runId, String detail, Throwable cause) {
        super("pipeline run " + runId + " lost its lease " + leaseUri + ": " + detail, cause);
    }
}
