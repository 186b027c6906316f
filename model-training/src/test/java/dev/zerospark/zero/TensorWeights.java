package dev.zerospark.zero;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.zerospark.train.ParamSpec;
import dev.zerospark.train.TrainableWeights;
import dev.zerospark.zero.internal.Tensors;

import java.util.ArrayList;
import java.util.List;

/**
 * Plain 1-D CPU tensors as a model's weights and gradients, for optimizer tests that need no forward pass: the
 * test adds the gradients a backward would, and reads the weights the optimizer wrote.
 */
final class TensorWeights implements TrainableWeights, AutoCloseable {
    private final NDManager manager;
    private final List<ParamSpec> specs;
    private final NDArray[] weights;
    private final NDArray[] grads;

    private TensorWeights(NDManager manager, List<ParamSpec> specs, NDArray[] weights, NDArray[] grads) {
        this.manager = manager;
        this.specs = specs;
        this.weights = weights;
        this.grads = grads;
    }

    static TensorWeights of(List<FlatParam> params, float[] flat) {
        NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        List<ParamSpec> specs = new ArrayList<>();
        NDArray[] weights = new NDArray[params.size()];
        NDArray[] grads = new NDArray[params.size()];
        for (int i = 0; i < params.size(); i++) {
            FlatParam p = params.get(i);
            specs.add(new ParamSpec(p.name(), new long[] {p.numel()}, p.offset(), p.numel(), p.decay()));
            float[] values = java.util.Arrays.copyOfRange(flat, (int) p.offset(), (int) p.end());
            weights[i] = manager.create(values);
            grads[i] = Tensors.zeros(manager, p.numel());
        }
        return new TensorWeights(manager, specs, weights, grads);
    }

    /** What a backward does: adds the flat gradient {@code g} into every parameter's gradient. */
    void addGradient(float[] g) {
        for (int i = 0; i < specs.size(); i++) {
            ParamSpec s = specs.get(i);
            try (NDManager scope = manager.newSubManager()) {
                grads[i].addi(scope.create(java.util.Arrays.copyOfRange(g, (int) s.offset(), (int) (s.offset() + s.numel()))));
            }
        }
    }

    /** The current weights, flat. */
    float[] read() {
        int n = 0;
        for (ParamSpec s : specs) n += (int) s.numel();
        float[] out = new float[n];
        for (int i = 0; i < specs.size(); i++) {
            Tensors.read(weights[i], 0, out, (int) specs.get(i).offset(), (int) specs.get(i).numel());
        }
        return out;
    }

    @Override
    public List<ParamSpec> params() {
        return specs;
    }

    @Override
    public Device device() {
        return Device.cpu();
    }

    @Override
    public NDArray gradient(int index, NDManager scope) {
        return Tensors.slice(grads[index], 0, grads[index].size(), scope);
    }

    @Override
    public void zeroGradients() {
        for (NDArray g : grads) Tensors.zero(g);
    }

    @Override
    public NDArray weight(int index, NDManager scope) {
        return Tensors.slice(weights[index], 0, weights[index].size(), scope);
    }

    @Override
    public void writeWeight(int index, long from, NDArray values) {
        try (NDManager scope = manager.newSubManager()) {
            Tensors.copy(Tensors.slice(weights[index], from, values.size(), scope), values);
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
