package dev.zerospark.collective.internal;

import dev.zerospark.collective.CollectiveException;
import dev.zerospark.collective.JobSecret;
import dev.zerospark.collective.PeerAuthenticationException;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;

/**
 * Mutual HMAC-SHA256 challenge-response on a fresh connection, run in blocking mode under one overall deadline.
 *
 * <pre>
 * connector -> acceptor : MAGIC, VERSION, connectorRank, acceptorRank, flags, nonceC(32)
 * acceptor -> connector : nonceA(32), HMAC(secret, "acceptor"  | ranks | flags | nonceC | nonceA)
 * connector -> acceptor : HMAC(secret, "connector" | ranks | flags | nonceA | nonceC)
 * acceptor -> connector : 1 (accepted) or 2 (authenticated, but the flags differ from the acceptor's)
 * </pre>
 * The labels keep one side's answer from being replayed as the other's; fresh nonces keep answers from being
 * replayed across connections. The secret itself never crosses the wire. {@code flags} (bit 0: frames carry a MAC)
 * are covered by both answers, so nobody in between can switch the frame MAC off. Both sides then derive the
 * key of the per-frame MACs, {@code HMAC(secret, "frames" | ranks | flags | nonceC | nonceA)}: fresh for every
 * connection, so frames of one connection cannot be replayed into another.
 *
 * <p>Every read waits at most until the deadline, however the bytes trickle in: a socket timeout alone restarts
 * with each byte, so a client sending one byte every few seconds would otherwise hold the handshake for ever.
 */
public final class Handshake {
    static final int MAGIC = 0x5A53434C; // "ZSCL"
    static final int VERSION = 2;
    /** Flag bit: data and keepalive frames on this connection carry an HMAC-SHA256 tag. */
    static final int FLAG_FRAME_MAC = 1;
    private static final int NONCE_BYTES = 32;
    private static final int MAC_BYTES = 32;
    /** Bytes the connector sends in total: hello plus its answer (tests use it to find the first frame). */
    static final int CONNECTOR_BYTES = 20 + NONCE_BYTES + MAC_BYTES;
    private static final int ACCEPTED = 1;
    private static final int FLAGS_DIFFER = 2;
    private static final SecureRandom RANDOM = new SecureRandom();

    private Handshake() {}

    /**
     * Connector side; returns the frame key of this connection. Throws {@link PeerAuthenticationException} if the
     * acceptor cannot prove it holds the secret or refuses ours, and {@link java.net.SocketTimeoutException} if the
     * handshake is not done by {@code deadline} ({@link System#nanoTime()}).
     */
    public static byte[] connect(Socket socket, int myRank, int peerRank, JobSecret secret, boolean frameMac,
                                 long deadline) throws IOException {
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        int flags = flags(frameMac);
        byte[] nonceC = nonce();
        out.write(ByteBuffer.allocate(20 + NONCE_BYTES).putInt(MAGIC).putInt(VERSION).putInt(myRank)
                .putInt(peerRank).putInt(flags).put(nonceC).array());
        out.flush();
        byte[] nonceA = readFully(socket, in, NONCE_BYTES, deadline);
        byte[] macA = readFully(socket, in, MAC_BYTES, deadline);
        if (!MessageDigest.isEqual(macA, mac(secret, "acceptor", myRank, peerRank, flags, nonceC, nonceA))) {
            throw new PeerAuthenticationException("rank " + peerRank + " at " + socket.getRemoteSocketAddress()
                    + " failed authentication: it does not hold this job's secret");
        }
        out.write(mac(secret, "connector", myRank, peerRank, flags, nonceA, nonceC));
        out.flush();
        int verdict = readFully(socket, in, 1, deadline)[0];
        if (verdict == FLAGS_DIFFER) {
            throw flagsDiffer(peerRank, frameMac);
        }
        if (verdict != ACCEPTED) {
            throw new PeerAuthenticationException("rank " + peerRank + " at " + socket.getRemoteSocketAddress()
                    + " refused our authentication");
        }
        return mac(secret, "frames", myRank, peerRank, flags, nonceC, nonceA);
    }

    /**
     * Acceptor side; returns the frame key of this connection only if the client proved it holds the secret and
     * is {@code expectedPeer}; otherwise throws {@link PeerAuthenticationException} saying why, or
     * {@link java.net.SocketTimeoutException} if the client is not done by {@code deadline}. An authenticated peer
     * whose frame MAC setting differs gets a {@link CollectiveException}: that is a misconfigured job, not a
     * stranger.
     */
    public static byte[] accept(Socket socket, int myRank, int expectedPeer, JobSecret secret, boolean frameMac,
                                long deadline) throws IOException {
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        ByteBuffer hello = ByteBuffer.wrap(readFully(socket, in, 20 + NONCE_BYTES, deadline));
        int magic = hello.getInt();
        if (magic != MAGIC) {
            throw new PeerAuthenticationException("not a zerospark collective client (magic 0x"
                    + Integer.toHexString(magic) + ")");
        }
        int version = hello.getInt();
        if (version != VERSION) {
            throw new PeerAuthenticationException("protocol version " + version + ", expected " + VERSION);
        }
        int peerRank = hello.getInt();
        int targetRank = hello.getInt();
        if (peerRank != expectedPeer || targetRank != myRank) {
            throw new PeerAuthenticationException("client claims to be rank " + peerRank + " connecting to rank "
                    + targetRank + ", expected rank " + expectedPeer + " connecting to rank " + myRank);
        }
        int flags = hello.getInt();
        byte[] nonceC = new byte[NONCE_BYTES];
        hello.get(nonceC);
        byte[] nonceA = nonce();
        out.write(ByteBuffer.allocate(NONCE_BYTES + MAC_BYTES).put(nonceA)
                .put(mac(secret, "acceptor", peerRank, myRank, flags, nonceC, nonceA)).array());
        out.flush();
        byte[] macC = readFully(socket, in, MAC_BYTES, deadline);
        if (!MessageDigest.isEqual(macC, mac(secret, "connector", peerRank, myRank, flags, nonceA, nonceC))) {
            throw new PeerAuthenticationException("client claiming rank " + peerRank
                    + " failed authentication: it does not hold this job's secret");
        }
        if (flags != flags(frameMac)) {
            out.write(FLAGS_DIFFER);
            out.flush();
            throw flagsDiffer(peerRank, frameMac);
        }
        out.write(ACCEPTED);
        out.flush();
        return mac(secret, "frames", peerRank, myRank, flags, nonceC, nonceA);
    }

    private static int flags(boolean frameMac) {
        return frameMac ? FLAG_FRAME_MAC : 0;
    }

    private static CollectiveException flagsDiffer(int peerRank, boolean frameMac) {
        return new CollectiveException("rank " + peerRank + " has the frame MAC (train.frame_mac) "
                + (frameMac ? "off" : "on") + " and this rank has it " + (frameMac ? "on" : "off")
                + "; every rank of a job must use the same setting");
    }

    /**
     * Reads exactly {@code n} bytes, each read bounded by the time left until {@code deadline}, so the whole
     * read (not each byte) ends by the deadline.
     */
    private static byte[] readFully(Socket socket, InputStream in, int n, long deadline) throws IOException {
        byte[] bytes = new byte[n];
        for (int filled = 0; filled < n; ) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new SocketTimeoutException("handshake with " + socket.getRemoteSocketAddress()
                        + " did not finish by its deadline");
            }
            socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000)));
            int read = in.read(bytes, filled, n - filled);
            if (read < 0) {
                throw new EOFException("connection closed during the handshake after " + filled + " of " + n
                        + " bytes");
            }
            filled += read;
        }
        return bytes;
    }

    private static byte[] nonce() {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        return nonce;
    }

    static byte[] mac(JobSecret secret, String role, int connectorRank, int acceptorRank, int flags, byte[] first,
                      byte[] second) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.key(), "HmacSHA256"));
            mac.update(("zerospark-collective/" + role).getBytes(StandardCharsets.UTF_8));
            mac.update(ByteBuffer.allocate(16).putInt(MAGIC).putInt(connectorRank).putInt(acceptorRank)
                    .putInt(flags).array());
            mac.update(first);
            return mac.doFinal(second);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }
}
