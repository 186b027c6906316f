package dev.zerospark.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * A model's weights and their accumulated gradients as libtorch tensors on the model's device, parameter by
 * parameter in the order of {@link #params()}: what the optimizer reads gradients from and writes updated weights
 * into, in place, without any host copy of the model. Flat views are 1-D over a parameter's contiguous elements, so
 * parameter element {@code k} is flat element {@code params().get(i).offset() + k}.
 */
public interface TrainableWeights {
    List<ParamSpec> params();

    /** Where the weights and gradients live (CPU, or the rank's GPU). */
    Device device();

    /**
     * Parameter {@code index}'s accumulated gradient (everything backward added since {@link #zeroGradients()}) as
     * a flat 1-D view in the model's dtype, attached to {@code scope}; null when no backward has reached it yet.
     */
    NDArray gradient(int index, NDManager scope);

    /** Zeroes every parameter's gradient (after the optimizer consumed them). */
    void zeroGradients();

    /** Parameter {@code index}'s weight as a flat 1-D view in the model's dtype, attached to {@code scope}. */
    NDArray weight(int index, NDManager scope);

    /**
     * The one way updated weights go into the model: elements {@code [from, from + values.size())} of parameter
     * {@code index} become {@code values} (fp32 master values, on any device), copied in place into the model's own
     * tensor outside autograd. A reduced-precision model rounds here.
     */
    void writeWeight(int index, long from, NDArray values);
}
