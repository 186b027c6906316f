package dev.zerospark.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's weights as fp32 NDArrays, in canonical HF state-dict order, all owned by one {@link NDManager}.
 * Tied weights appear once (GPT-2's LM head reuses {@code transformer.wte.weight}).
 */
public final class Parameters implements AutoCloseable {
    private final NDManager manager;
    private final List<TensorSpec> specs;
    private final Map<String, NDArray> arrays = new LinkedHashMap<>();

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
        NDArray fresh = manager.create(values, new Shape(spec.shape()));
        fresh.setName(name);
        NDArray old = arrays.put(name, fresh);
        if (old != null) {
            // Keep autograd tracking consistent when weights are swapped during training.
            if (old.hasGradient()) {
                fresh.setRequiresGradient(true);
            }
            old.close();
        }
    }

    public float[] read(String name) {
        return get(name).toFloatArray();
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
        manager.close();
    }
}
