package dev.zerospark.collective;

/** The other end of a connection could not prove it holds this job's secret. */
public final class PeerAuthenticationException extends CollectiveException {
    public PeerAuthenticationException(String message) {
        super(message);
    }
}
