package dev.zerospark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.zerospark.safetensors.TensorSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A model's weights as fp32 NDArrays, in canonical HF state-dict order, all owned by one {@link NDManager}.
 * Tied weights appear once (GPT-2's LM head reuses {@code transformer.wte.weight}).
 */
public final class Parameters implements AutoCloseable {
    private final NDManager manager;
    private final List<TensorSpec> specs;
    private final Map<String, NDArray> arrays = new LinkedHashMap<>();
    /**
     * Direct buffers over the native memory of the current arrays, made on first use and dropped when an array is
     * replaced. Every array here is created by {@link #set} and is therefore contiguous, so the view is the tensor.
     */
    private final Map<String, FloatBuffer> views = new ConcurrentHashMap<>();

    /** Takes ownership of {@code manager}; {@link #close()} closes it. */
    public Parameters(NDManager manager, List<TensorSpec> specs) {
        this.manager = manager;
        this.specs = List.copyOf(specs);
    }

    public NDManager manager() {
        return manager;
    }

    public List<TensorSpec> specs() {
        return specs;
    }

    public Map<String, NDArray> arrays() {
        return Collections.unmodifiableMap(arrays);
    }

    public NDArray get(String name) {
        NDArray a = arrays.get(name);
        if (a == null) {
            throw new IllegalStateException("parameter " + name + " has not been set");
        }
        return a;
    }

    /** Replaces the weights of {@code name} with {@code values} (row-major fp32 in the spec's shape). */
    public void set(String name, float[] values) {
        TensorSpec spec = spec(name);
        if (values.length != spec.numel()) {
            throw new IllegalArgumentException("parameter " + name + " expects " + spec.numel() + " values for shape "
                    + new Shape(spec.shape()) + ", got " + values.length);
        }
        if (values.length <= LargeTensors.MAX_CREATE_ELEMENTS) {
            install(name, manager.create(values, new Shape(spec.shape())));
            return;
        }
        try {
            install(name, LargeTensors.create(manager, new Shape(spec.shape()),
                    (from, dst, n) -> System.arraycopy(values, (int) from, dst, 0, n), LargeTensors.MAX_CREATE_ELEMENTS));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // copying from an array does no I/O
        }
    }

    /**
     * Replaces the weights of {@code name} with tensor {@code sourceName} of {@code source} (converted to fp32),
     * read piece by piece: a tensor of any size loads without a Java array of its size.
     */
    public void set(String name, TensorSource source, String sourceName) throws IOException {
        TensorSpec spec = spec(name);
        long have = source.info(sourceName).numel();
        if (have != spec.numel()) {
            throw new IllegalArgumentException("parameter " + name + " expects " + spec.numel() + " values for shape "
                    + new Shape(spec.shape()) + ", tensor " + sourceName + " has " + have);
        }
        install(name, LargeTensors.create(manager, new Shape(spec.shape()),
                (from, dst, n) -> source.readFloats(sourceName, from, dst, 0, n), LargeTensors.MAX_CREATE_ELEMENTS));
    }

    private void install(String name, NDArray fresh) {
        fresh.setName(name);
        NDArray old = arrays.put(name, fresh);
        views.remove(name);
        if (old != null) {
            // Keep autograd tracking consistent when weights are swapped during training.
            if (old.hasGradient()) {
                fresh.setRequiresGradient(true);
            }
            old.close();
        }
    }

    public float[] read(String name) {
        return Bf16.toFloatArray(get(name));
    }

    /**
     * Rounds every weight to bf16 in place of its fp32 array (for inference: the fp32 accessors {@link #write} and
     * {@link #read(String, float[], int)} then refuse). Names are kept; the fp32 arrays are freed.
     */
    public void castToBf16() {
        for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
            NDArray old = e.getValue();
            if (Bf16.is(old)) continue;
            NDArray fresh = Bf16.of(old);
            fresh.setName(e.getKey());
            e.setValue(fresh);
            old.close();
        }
        views.clear();
    }

    /**
     * Overwrites the weights of {@code name} in place with {@code src[offset, offset + numel)}: the same tensor
     * (and its autograd leaf) keeps its identity, and no Java array or native tensor is allocated. Call it only
     * while no autograd graph that saved this weight is alive (between training steps).
     */
    public void write(String name, float[] src, int offset) {
        FloatBuffer view = view(name);
        if (offset < 0 || src.length - offset < view.capacity()) {
            throw new IllegalArgumentException("parameter " + name + " needs " + view.capacity() + " values from offset "
                    + offset + ", but the source array has length " + src.length);
        }
        view.put(0, src, offset, view.capacity());
    }

    /** Copies the weights of {@code name} into {@code dst[offset, offset + numel)} without allocating. */
    public void read(String name, float[] dst, int offset) {
        FloatBuffer view = view(name);
        if (offset < 0 || dst.length - offset < view.capacity()) {
            throw new IllegalArgumentException("parameter " + name + " has " + view.capacity() + " values, which do "
                    + "not fit at offset " + offset + " of an array of length " + dst.length);
        }
        view.get(0, dst, offset, view.capacity());
    }

    private FloatBuffer view(String name) {
        NDArray a = get(name);
        FloatBuffer v = views.get(name);
        if (v == null) {
            if (a.getDataType() != ai.djl.ndarray.types.DataType.FLOAT32) {
                throw new IllegalStateException("parameter " + name + " is " + (Bf16.is(a) ? "bf16" : a.getDataType())
                        + ", not fp32: its values cannot be read or written as floats in place");
            }
            v = JniUtils.getByteBuffer((PtNDArray) a, true).asFloatBuffer();
            if (v.capacity() != a.size()) {
                throw new IllegalStateException("parameter " + name + " has " + a.size() + " elements but its native "
                        + "buffer holds " + v.capacity() + " floats");
            }
            views.put(name, v);
        }
        return v;
    }

    public TensorSpec spec(String name) {
        for (TensorSpec s : specs) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("model has no parameter " + name);
    }

    public List<String> names() {
        List<String> out = new ArrayList<>();
        specs.forEach(s -> out.add(s.name()));
        return out;
    }

    public long numel() {
        return specs.stream().mapToLong(TensorSpec::numel).sum();
    }

    @Override
    public void close() {
        views.clear(); // they point into memory the manager frees
        manager.close();
    }
}
