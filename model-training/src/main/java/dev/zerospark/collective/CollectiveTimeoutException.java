package dev.zerospark.collective;

/** A peer moved no bytes for longer than the configured timeout: it is stalled or unreachable. */
public final class CollectiveTimeoutException extends PeerFailedException {
    public CollectiveTimeoutException(int peerRank, String peerAddress, String message) {
        super(peerRank, peerAddress, message, null);
    }
}
