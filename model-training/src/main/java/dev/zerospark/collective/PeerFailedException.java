package dev.zerospark.collective;

/** A peer died, closed its connection, broke the protocol, or was reported failed by another rank. */
public class PeerFailedException extends CollectiveException {
    private final int peerRank;
    private final String peerAddress;
    private final String reason;

    public PeerFailedException(int peerRank, String peerAddress, String reason, Throwable cause) {
        super("rank " + peerRank + " (" + peerAddress + "): " + reason, cause);
        this.peerRank = peerRank;
        this.peerAddress = peerAddress;
        this.reason = reason;
    }

    /** What went wrong, without the rank and address prefix. */
    public String reason() {
        return reason;
    }

    /** Rank of the peer that failed (the original culprit, also when another rank reported it). */
    public int peerRank() {
        return peerRank;
    }

    /** {@code host:port} the failed peer listened on. */
    public String peerAddress() {
        return peerAddress;
    }
}
