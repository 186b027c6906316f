package dev.zerospark.collective;

import java.time.Duration;

/**
 * Settings of one {@link Collective}, validated on construction.
 *
 * @param timeout longest time a connection set-up or an operation waits without any byte moving; a dead or
 *     stalled peer makes every rank fail within about this long
 * @param bindAddress local address to listen on ({@code 0.0.0.0} for all interfaces; the published address is
 *     then this host's canonical address)
 * @param chunkBytes size of one pipelined frame on the wire; a multiple of 4 (one float32)
 * @param reductionWire number format of all-reduce and reduce-scatter traffic (DeepSpeed communication_data_type)
 * @param frameMac whether every frame after the handshake carries an HMAC-SHA256 tag keyed from the handshake
 *     (integrity and order of gradient traffic); off only on networks where nobody can alter packets
 */
public record CollectiveConfig(Duration timeout, String bindAddress, int chunkBytes, WireFormat reductionWire,
                               boolean frameMac) {
    public static final int DEFAULT_CHUNK_BYTES = 1 << 20;
    public static final int MAX_CHUNK_BYTES = 64 << 20;

    public CollectiveConfig {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("collective.timeout must be > 0, got " + timeout);
        }
        if (bindAddress == null || bindAddress.isBlank()) {
            throw new IllegalArgumentException("collective.bind_address must not be blank");
        }
        if (chunkBytes < 4 || chunkBytes > MAX_CHUNK_BYTES || chunkBytes % 4 != 0) {
            throw new IllegalArgumentException("collective.chunk_bytes must be a multiple of 4 in [4, "
                    + MAX_CHUNK_BYTES + "], got " + chunkBytes);
        }
        if (reductionWire == null) {
            throw new IllegalArgumentException("collective.reduction_wire must be set (fp32, bf16 or fp16)");
        }
    }

    /** Frames authenticated. */
    public CollectiveConfig(Duration timeout, String bindAddress, int chunkBytes, WireFormat reductionWire) {
        this(timeout, bindAddress, chunkBytes, reductionWire, true);
    }

    /** Float32 on the wire, frames authenticated. */
    public CollectiveConfig(Duration timeout, String bindAddress, int chunkBytes) {
        this(timeout, bindAddress, chunkBytes, WireFormat.FP32);
    }

    /** Loopback only, 1 MiB frames: what tests and single-host runs use. */
    public static CollectiveConfig loopback(Duration timeout) {
        return new CollectiveConfig(timeout, "127.0.0.1", DEFAULT_CHUNK_BYTES);
    }

    public CollectiveConfig withChunkBytes(int bytes) {
        return new CollectiveConfig(timeout, bindAddress, bytes, reductionWire, frameMac);
    }

    public CollectiveConfig withReductionWire(WireFormat wire) {
        return new CollectiveConfig(timeout, bindAddress, chunkBytes, wire, frameMac);
    }

    public CollectiveConfig withFrameMac(boolean on) {
        return new CollectiveConfig(timeout, bindAddress, chunkBytes, reductionWire, on);
    }
}
