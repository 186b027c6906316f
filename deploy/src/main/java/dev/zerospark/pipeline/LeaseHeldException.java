package dev.zerospark.pipeline;

import java.time.Instant;

/** Another run holds the pipeline's lease and it has not expired: this run starts nothing. */
public final class LeaseHeldException extends RuntimeException {
    private final String ownerRunId;

    public LeaseHeldException(String leaseUri, String ownerRunId, String host, Instant expiresAt) {
        super("pipeline run " + ownerRunId + " (on host " + host + ") is active: it holds the lease " + leaseUri
                + " until " + expiresAt + " (renewed while it runs); wait for it to end, or delete the lease if that run is dead");
        this.ownerRunId = ownerRunId;
    }

    public String ownerRunId() {
        return ownerRunId;
    }
}
