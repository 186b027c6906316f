package dev.zerospark.zero.internal;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.zerospark.flat.FlatFloats;

/**
 * One bucket-sized flat fp32 tensor on the model's device, where a bucket's gradients (or gathered weights) are
 * assembled, and the bounded host staging the collective reads and writes. On the CPU the staging is the tensor's
 * own native memory (a direct view, no copy); on another device it is a host tensor of the same bucket size, copied
 * to before and from after each collective. Nothing here grows with the model: only with the bucket.
 */
public final class BucketStaging implements AutoCloseable {
    private final NDManager manager;
    private final NDArray device;
    private final NDArray host;
    private final FlatFloats hostView;

    private BucketStaging(NDManager manager, NDArray device, NDArray host, FlatFloats hostView) {
        this.manager = manager;
        this.device = device;
        this.host = host;
        this.hostView = hostView;
    }

    /** A bucket of {@code elements} on {@code parent}'s device; its host view must fit one direct buffer. */
    public static BucketStaging of(NDManager parent, long elements) {
        if (elements < 1 || elements > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException("a bucket of " + elements + " fp32 elements (all ranks' slices) must"
                    + " hold 1 to " + Integer.MAX_VALUE / 4 + " elements: use a smaller bucket size");
        }
        NDManager m = parent.newSubManager();
        NDArray device = Tensors.zeros(m, elements);
        NDArray host = device;
        if (!device.getDevice().equals(Device.cpu())) {
            NDManager cpu = m.newSubManager(Device.cpu());
            host = Tensors.zeros(cpu, elements);
        }
        return new BucketStaging(m, device, host, FlatFloats.wrap(host.toByteBuffer(true).asFloatBuffer()));
    }

    /** The bucket tensor on the model's device. */
    public NDArray tensor() {
        return device;
    }

    /** Bytes held: the bucket, and its host copy where the device is not the CPU. */
    public long bytes() {
        return 4 * device.size() * (host == device ? 1 : 2);
    }

    /** The first {@code n} elements, as the collective sees them: the tensor itself on the CPU, else a host copy. */
    public FlatFloats toHost(long n) {
        if (host != device) {
            try (NDManager scope = manager.newSubManager()) {
                Tensors.copy(Tensors.slice(host, 0, n, scope), Tensors.slice(device, 0, n, scope));
            }
        }
        return hostView;
    }

    /** Brings the collective's result in the host staging back to the device (nothing to do on the CPU). */
    public void fromHost(long n) {
        if (host != device) {
            try (NDManager scope = manager.newSubManager()) {
                Tensors.copy(Tensors.slice(device, 0, n, scope), Tensors.slice(host, 0, n, scope));
            }
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
