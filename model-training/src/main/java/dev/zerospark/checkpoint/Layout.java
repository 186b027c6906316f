package dev.zerospark.checkpoint;

import dev.zerospark.train.ParamSpec;
import dev.zerospark.zero.PartitionLayout;

import java.util.ArrayList;
import java.util.List;

/**
 * The manifest's {@code layout}, typed: the flat buffer the optimizer shards cut up, and every parameter's place in
 * it. Resuming maps each parameter of the model from where this layout put it ({@link OptimizerShards#openFor}),
 * and export rebuilds each weight from the master shards by it. Bound by Jackson as the manifest's {@code layout};
 * a manifest's layout is untrusted until {@link ManifestChecks} has checked it.
 */
public record Layout(int worldSize, long numel, long paddedNumel, long shardSize, int alignment, List<Param> params) {
    /** One parameter: its HF name and shape, and where its elements lie in the flat buffer. */
    public record Param(String name, long offset, long numel, boolean decay, long[] shape) {}

    public Layout {
        // A layout without params (a corrupt manifest) stays null here, so the checks can name it.
        params = params == null ? null : List.copyOf(params);
    }

    /** The parameter named {@code name}, or null. */
    public Param param(String name) {
        for (Param p : params) {
            if (p.name().equals(name)) return p;
        }
        return null;
    }

    public static Layout of(PartitionLayout layout, List<ParamSpec> specs) {
        List<Param> params = new ArrayList<>();
        for (ParamSpec s : specs) params.add(new Param(s.name(), s.offset(), s.numel(), s.decay(), s.shape()));
        return new Layout(layout.worldSize(), layout.numel(), layout.paddedNumel(), layout.shardSize(), layout.alignment(), params);
    }
}
