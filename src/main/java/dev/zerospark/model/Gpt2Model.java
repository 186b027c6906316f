package dev.zerospark.model;

import static dev.zerospark.model.internal.Ops.attention;
import static dev.zerospark.model.internal.Ops.conv1d;
import static dev.zerospark.model.internal.Ops.embedding;
import static dev.zerospark.model.internal.Ops.layerNorm;
import static dev.zerospark.model.internal.Ops.linear;
import static dev.zerospark.model.internal.Ops.mergeHeads;
import static dev.zerospark.model.internal.Ops.splitHeads;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import dev.zerospark.model.internal.Ops;
import dev.zerospark.model.internal.Scalars;
import java.util.ArrayList;
import java.util.List;

/**
 * GPT-2 (HF {@code GPT2LMHeadModel}), nanoGPT style. B = batch, T = new tokens, S = cached + new tokens,
 * C = n_embd, H = n_head, D = C / H, V = vocab. Linear layers are HF {@code Conv1D}: weights stored (in, out).
 * <pre>
 * x = wte[ids] + wpe[pos]
 * for each block:  x = x + attn(ln_1(x));  x = x + mlp(ln_2(x))
 * logits = ln_f(x) @ wte^T          (LM head tied to the token embedding)
 * </pre>
 */
public final class Gpt2Model implements CausalLm {
    private final Gpt2Config config;
    private final Parameters params;
    /** Constants kept alive with the weights: autograd may read them in backward (see {@link Scalars}). */
    private final Scalars scalars;

    public Gpt2Model(Gpt2Config config, Parameters params) {
        this.config = config;
        this.params = params;
        this.scalars = new Scalars(params.manager());
    }

    /** State-dict names and shapes, in HF's module order. */
    public static List<TensorSpec> specs(Gpt2Config c) {
        long C = c.hiddenSize();
        List<TensorSpec> s = new ArrayList<>();
        s.add(new TensorSpec("transformer.wte.weight", new long[] {c.vocabSize(), C}));
        s.add(new TensorSpec("transformer.wpe.weight", new long[] {c.maxPositions(), C}));
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "transformer.h." + i + ".";
            s.add(new TensorSpec(p + "ln_1.weight", new long[] {C}));
            s.add(new TensorSpec(p + "ln_1.bias", new long[] {C}));
            s.add(new TensorSpec(p + "attn.c_attn.weight", new long[] {C, 3 * C}));
            s.add(new TensorSpec(p + "attn.c_attn.bias", new long[] {3 * C}));
            s.add(new TensorSpec(p + "attn.c_proj.weight", new long[] {C, C}));
            s.add(new TensorSpec(p + "attn.c_proj.bias", new long[] {C}));
            s.add(new TensorSpec(p + "ln_2.weight", new long[] {C}));
            s.add(new TensorSpec(p + "ln_2.bias", new long[] {C}));
            s.add(new TensorSpec(p + "mlp.c_fc.weight", new long[] {C, c.innerSize()}));
            s.add(new TensorSpec(p + "mlp.c_fc.bias", new long[] {c.innerSize()}));
            s.add(new TensorSpec(p + "mlp.c_proj.weight", new long[] {c.innerSize(), C}));
            s.add(new TensorSpec(p + "mlp.c_proj.bias", new long[] {C}));
        }
        s.add(new TensorSpec("transformer.ln_f.weight", new long[] {C}));
        s.add(new TensorSpec("transformer.ln_f.bias", new long[] {C}));
        if (!c.tieWordEmbeddings()) {
            s.add(new TensorSpec("lm_head.weight", new long[] {c.vocabSize(), C}));
        }
        return s;
    }

    @Override
    public Gpt2Config config() {
        return config;
    }

    @Override
    public Parameters parameters() {
        return params;
    }

    @Override
    public NDArray forward(NDArray inputIds, NDArray positionIds, NDArray allowed, KvCache cache) {
        return forward(inputIds, positionIds, allowed, cache, false);
    }

    @Override
    public NDArray forwardLast(NDArray inputIds, NDArray positionIds, NDArray allowed, KvCache cache) {
        return forward(inputIds, positionIds, allowed, cache, true);
    }

    @Override
    public BlockForward blocks(NDArray inputIds, NDArray positionIds, NDArray allowed) {
        return new Blocks(inputIds, positionIds, allowed, null);
    }

    private NDArray forward(NDArray inputIds, NDArray positionIds, NDArray allowed, KvCache cache, boolean lastOnly) {
        Blocks blocks = new Blocks(inputIds, positionIds, allowed, cache);
        NDArray x = blocks.embed();                                                 // (B, T, C)
        for (int i = 0; i < config.numLayers(); i++) {
            x = blocks.block(i, x);                                                 // (B, T, C)
        }
        if (cache != null) {
            cache.advance((int) inputIds.getShape().get(1));
        }
        if (lastOnly) {
            x = Ops.lastPosition(x);                                                // (B, 1, C)
        }
        return blocks.head(x);                                                      // (B, T, V)
    }

    /** The forward pass's three parts, shared by {@link #forward} and {@link #blocks}. */
    private final class Blocks implements BlockForward {
        private final NDArray inputIds;
        private final NDArray positionIds;
        private final NDArray allowed;
        /** {@link Ops#maskBias} of {@link #allowed}, made at the first block and shared by all of them. */
        private NDArray maskBias;
        private final KvCache cache;

        Blocks(NDArray inputIds, NDArray positionIds, NDArray allowed, KvCache cache) {
            this.inputIds = inputIds;
            this.positionIds = positionIds;
            this.allowed = allowed;
            this.cache = cache;
        }

        private NDArray maskBias() {
            if (maskBias == null) {
                maskBias = Ops.maskBias(allowed, scalars);
            }
            return maskBias;
        }

        @Override
        public int numBlocks() {
            return config.numLayers();
        }

        @Override
        public NDArray embed() {
            return embedding(inputIds, w("transformer.wte.weight"))                 // (B, T, C)
                    .add(embedding(positionIds, w("transformer.wpe.weight")));
        }

        @Override
        public NDArray block(int i, NDArray x) {
            double eps = config.layerNormEps();
            String p = "transformer.h." + i + ".";
            NDArray h = layerNorm(x, w(p + "ln_1.weight"), w(p + "ln_1.bias"), eps);
            x = x.add(attn(h, p + "attn.", i, maskBias(), cache));                  // (B, T, C)
            h = layerNorm(x, w(p + "ln_2.weight"), w(p + "ln_2.bias"), eps);
            return x.add(mlp(h, p + "mlp."));                                       // (B, T, C)
        }

        @Override
        public NDArray head(NDArray x) {
            x = layerNorm(x, w("transformer.ln_f.weight"), w("transformer.ln_f.bias"), config.layerNormEps());
            NDArray head = config.tieWordEmbeddings() ? w("transformer.wte.weight") : w("lm_head.weight");
            return linear(x, head, null);                                           // (B, T, V)
        }
    }

    private NDArray attn(NDArray h, String p, int layer, NDArray maskBias, KvCache cache) {
        int heads = config.numHeads();
        int d = config.headDim();
        NDList qkv = Ops.chunk(conv1d(h, w(p + "c_attn.weight"), w(p + "c_attn.bias")), 3); // 3 x (B, T, C)
        NDArray q = splitHeads(qkv.get(0), heads, d);                                      // (B, H, T, D)
        NDArray k = splitHeads(qkv.get(1), heads, d);
        NDArray v = splitHeads(qkv.get(2), heads, d);
        if (cache != null) {
            NDArray[] kv = cache.append(layer, k, v);                                       // (B, H, S, D)
            k = kv[0];
            v = kv[1];
        }
        float scale = config.scaleAttnWeights() ? (float) (1.0 / Math.sqrt(d)) : 1f;
        if (config.scaleAttnByInverseLayerIdx()) {
            scale /= (layer + 1);
        }
        NDArray y = mergeHeads(attention(q, k, v, maskBias, scale, scalars));              // (B, T, C)
        return conv1d(y, w(p + "c_proj.weight"), w(p + "c_proj.bias"));
    }

    private NDArray mlp(NDArray h, String p) {
        NDArray u = conv1d(h, w(p + "c_fc.weight"), w(p + "c_fc.bias"));                 // (B, T, 4C)
        u = config.activation().equals("gelu") ? Ops.geluErf(u) : Ops.geluTanh(u);
        return conv1d(u, w(p + "c_proj.weight"), w(p + "c_proj.bias"));                  // (B, T, C)
    }

    private NDArray w(String name) {
        return params.get(name);
    }
}
