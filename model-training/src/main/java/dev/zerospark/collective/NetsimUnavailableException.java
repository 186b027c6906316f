package dev.zerospark.collective;

/** The simulated network cannot be built on this host (not root, no {@code ip netns}, no netsim script). */
public final class NetsimUnavailableException extends RuntimeException {
    public NetsimUnavailableException(String message) {
        super(message);
    }
}
