package dev.zerospark.collective.internal;

import dev.zerospark.collective.JobSecret;
import dev.zerospark.collective.PeerAuthenticationException;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;

/**
 * Mutual HMAC-SHA256 challenge-response on a fresh connection, run in blocking mode with socket timeouts.
 *
 * <pre>
 * connector -> acceptor : MAGIC, VERSION, connectorRank, acceptorRank, nonceC(32)
 * acceptor -> connector : nonceA(32), HMAC(secret, "acceptor"  | ranks | nonceC | nonceA)
 * connector -> acceptor : HMAC(secret, "connector" | ranks | nonceA | nonceC)
 * acceptor -> connector : 1 (accepted)
 * </pre>
 * The labels keep one side's answer from being replayed as the other's; fresh nonces keep answers from being
 * replayed across connections. The secret itself never crosses the wire.
 */
public final class Handshake {
    static final int MAGIC = 0x5A53434C; // "ZSCL"
    static final int VERSION = 1;
    private static final int NONCE_BYTES = 32;
    private static final int MAC_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private Handshake() {}

    /**
     * Connector side. Throws {@link PeerAuthenticationException} if the acceptor cannot prove it holds the
     * secret or refuses ours.
     */
    public static void connect(Socket socket, int myRank, int peerRank, JobSecret secret) throws IOException {
        DataInputStream in = new DataInputStream(socket.getInputStream());
        OutputStream out = socket.getOutputStream();
        byte[] nonceC = nonce();
        out.write(ByteBuffer.allocate(16 + NONCE_BYTES).putInt(MAGIC).putInt(VERSION).putInt(myRank)
                .putInt(peerRank).put(nonceC).array());
        out.flush();
        byte[] nonceA = new byte[NONCE_BYTES];
        byte[] macA = new byte[MAC_BYTES];
        in.readFully(nonceA);
        in.readFully(macA);
        if (!MessageDigest.isEqual(macA, mac(secret, "acceptor", myRank, peerRank, nonceC, nonceA))) {
            throw new PeerAuthenticationException("rank " + peerRank + " at " + socket.getRemoteSocketAddress()
                    + " failed authentication: it does not hold this job's secret");
        }
        out.write(mac(secret, "connector", myRank, peerRank, nonceA, nonceC));
        out.flush();
        int verdict = in.read();
        if (verdict != 1) {
            throw new PeerAuthenticationException("rank " + peerRank + " at " + socket.getRemoteSocketAddress()
                    + " refused our authentication");
        }
    }

    /**
     * Acceptor side: returns normally only if the client proved it holds the secret and is
     * {@code expectedPeer}; otherwise throws {@link PeerAuthenticationException} saying why.
     */
    public static void accept(Socket socket, int myRank, int expectedPeer, JobSecret secret) throws IOException {
        DataInputStream in = new DataInputStream(socket.getInputStream());
        OutputStream out = socket.getOutputStream();
        int magic = in.readInt();
        if (magic != MAGIC) {
            throw new PeerAuthenticationException("not a zerospark collective client (magic 0x"
                    + Integer.toHexString(magic) + ")");
        }
        int version = in.readInt();
        if (version != VERSION) {
            throw new PeerAuthenticationException("protocol version " + version + ", expected " + VERSION);
        }
        int peerRank = in.readInt();
        int targetRank = in.readInt();
        if (peerRank != expectedPeer || targetRank != myRank) {
            throw new PeerAuthenticationException("client claims to be rank " + peerRank + " connecting to rank "
                    + targetRank + ", expected rank " + expectedPeer + " connecting to rank " + myRank);
        }
        byte[] nonceC = new byte[NONCE_BYTES];
        in.readFully(nonceC);
        byte[] nonceA = nonce();
        out.write(ByteBuffer.allocate(NONCE_BYTES + MAC_BYTES).put(nonceA)
                .put(mac(secret, "acceptor", peerRank, myRank, nonceC, nonceA)).array());
        out.flush();
        byte[] macC = new byte[MAC_BYTES];
        in.readFully(macC);
        if (!MessageDigest.isEqual(macC, mac(secret, "connector", peerRank, myRank, nonceA, nonceC))) {
            throw new PeerAuthenticationException("client claiming rank " + peerRank
                    + " failed authentication: it does not hold this job's secret");
        }
        out.write(1);
        out.flush();
    }

    private static byte[] nonce() {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        return nonce;
    }

    static byte[] mac(JobSecret secret, String role, int connectorRank, int acceptorRank, byte[] first,
                      byte[] second) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.key(), "HmacSHA256"));
            mac.update(("zerospark-collective/" + role).getBytes(StandardCharsets.UTF_8));
            mac.update(ByteBuffer.allocate(12).putInt(MAGIC).putInt(connectorRank).putInt(acceptorRank).array());
            mac.update(first);
            return mac.doFinal(second);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }
}
