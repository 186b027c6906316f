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
        try {
            // In libtorch's own memory, not a view of a direct Java buffer (see LargeTensors).
            install(name, LargeTensors.create(manager, new Shape(spec.shape()),
                    (from, dst, n) -> System.arraycopy(values, (int) from, dst, 0, n), LargeTensors.MAX_CREATE_ELEMENTS));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // copying from an array does no I/O
        }
    }

    /**
     * Replaces the weights of {@code name} with the values {@code reader} supplies in order, piece by piece
     * (row-major fp32): no Java array of the tensor's size, so the heap does not grow with the model.
     */
    void fill(String name, LargeTensors.ElementReader reader) {
        try {
            install(name, LargeTensors.create(manager, new Shape(spec(name).shape()), reader,
                    LargeTensors.MAX_CREATE_ELEMENTS));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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
        NDArray a = get(name);
        if (a.getDataType() != ai.djl.ndarray.types.DataType.FLOAT16) return Bf16.toFloatArray(a);
        try (NDArray f = a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false)) {
            return f.toFloatArray();
        }
    }

    /**
     * Rounds every weight to bf16 in place of its fp32 array (for inference). Names are kept; the fp32 arrays are
     * freed; {@link #write} then rounds and {@link #read(String, float[], int)} widens.
     */
    public void castToBf16() {
        castTo(Precision.BF16);
    }

    /**
     * Replaces every fp32 weight by its rounding to {@code precision} (round-to-nearest-even), freeing the fp32
     * array. A weight that tracked gradients is replaced by a new leaf that does: the working copy of mixed
     * precision training, whose gradients then come in {@code precision} too. The tied LM head stays the one
     * tensor it was, since a tie is one entry here. {@link #write} then rounds fp32 values into the new arrays.
     */
    public void castTo(Precision precision) {
        if (precision == Precision.FP32) return;
        for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
            NDArray old = e.getValue();
            if (Precision.of(old) == precision) continue;
            if (Precision.of(old) != Precision.FP32) {
                throw new IllegalStateException("parameter " + e.getKey() + " is " + Precision.of(old).key()
                        + ", cannot cast it to " + precision.key());
            }
            boolean grad = old.hasGradient();
            NDArray fresh;
            // a leaf of its own, not a node hanging off the fp32 array
            try (GradMode off = GradMode.off()) {
                fresh = precision.fromFloat32(old);
            }
            fresh.setName(e.getKey());
            if (grad) fresh.setRequiresGradient(true);
            e.setValue(fresh);
            old.close();
        }
        views.clear();
    }

    /**
     * Overwrites the weights of {@code name} in place with {@code src[offset, offset + numel)} (rounded by
     * {@link #writeRounded} when the weight is bf16/fp16): the same tensor
     * (and its autograd leaf) keeps its identity, and no Java array or native tensor is allocated. Call it only
     * while no autograd graph that saved this weight is alive (between training steps).
     */
    public void write(String name, float[] src, int offset) {
        NDArray a = get(name);
        if (a.getDataType() != ai.djl.ndarray.types.DataType.FLOAT32) {
            checkRange(name, a.size(), src.length, offset);
            // built like set(): no Java copy of the slice, and past DJL's create limit in pieces
            try (NDArray f = LargeTensors.create(manager, new Shape(spec(name).shape()),
                    (from, dst, n) -> System.arraycopy(src, offset + (int) from, dst, 0, n),
                    LargeTensors.MAX_CREATE_ELEMENTS)) {
                writeRounded(name, f);
            } catch (IOException e) {
                throw new UncheckedIOException(e); // copying from an array does no I/O
            }
            return;
        }
        FloatBuffer view = view(name);
        checkRange(name, view.capacity(), src.length, offset);
        view.put(0, src, offset, view.capacity());
    }

    /**
     * THE cast of fp32 master weights back to the model's working format: overwrites {@code name} in place with
     * {@code fp32} rounded to its dtype with round-to-nearest-even ({@link Precision#fromFloat32}, torch's
     * {@code .to(dtype)}), keeping the tensor's identity and autograd leaf. Outside autograd; call it between steps.
     */
    public void writeRounded(String name, NDArray fp32) {
        NDArray a = get(name);
        if (!fp32.getShape().equals(a.getShape())) {
            throw new IllegalArgumentException("parameter " + name + " has shape " + a.getShape() + ", the values "
                    + fp32.getShape());
        }
        try (GradMode off = GradMode.off(); NDArray rounded = Precision.of(a).fromFloat32(fp32)) {
            a.set(new ai.djl.ndarray.index.NDIndex("..."), rounded);
        }
    }

    private static void checkRange(String name, long numel, int length, int offset) {
        if (offset < 0 || length - offset < numel) {
            throw new IllegalArgumentException("parameter " + name + " needs " + numel + " values from offset "
                    + offset + ", but the source array has length " + length);
        }
    }

    /** Copies the weights of {@code name} into {@code dst[offset, offset + numel)} without allocating. */
    public void read(String name, float[] dst, int offset) {
        NDArray a = get(name);
        if (a.getDataType() != ai.djl.ndarray.types.DataType.FLOAT32) { // bf16/fp16 widen exactly
            if (offset < 0 || dst.length - offset < a.size()) {
                throw new IllegalArgumentException("parameter " + name + " has " + a.size() + " values, which do "
                        + "not fit at offset " + offset + " of an array of length " + dst.length);
            }
            try (NDArray f = a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false)) {
                float[] v = f.toFloatArray();
                System.arraycopy(v, 0, dst, offset, v.length);
            }
            return;
        }
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
