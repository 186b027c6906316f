package dev.zerospark.model;

import static dev.zerospark.model.internal.Ops.attention;
import static dev.zerospark.model.internal.Ops.embedding;
import static dev.zerospark.model.internal.Ops.linear;
import static dev.zerospark.model.internal.Ops.mergeHeads;
import static dev.zerospark.model.internal.Ops.repeatKv;
import static dev.zerospark.model.internal.Ops.rmsNorm;
import static dev.zerospark.model.internal.Ops.silu;
import static dev.zerospark.model.internal.Ops.splitHeads;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.zerospark.model.internal.Ops;
import dev.zerospark.model.internal.Scalars;
import java.util.ArrayList;
import java.util.List;

/**
 * Llama (HF {@code LlamaForCausalLM}). B = batch, T = new tokens, S = cached + new, C = hidden, H = attention
 * heads, K = key/value heads (grouped-query attention when K < H), D = head_dim, F = intermediate, V = vocab.
 * Projections are torch {@code Linear}: weights stored (out, in).
 * <pre>
 * x = embed[ids]
 * for each layer:  x = x + o(attn(rope(q(n1(x))), rope(k(n1(x))), v(n1(x))))
 *                  x = x + down(silu(gate(n2(x))) * up(n2(x)))          (n = RMSNorm)
 * logits = lm_head(norm(x))
 * </pre>
 */
public final class LlamaModel implements CausalLm {
    private final LlamaConfig config;
    private final Parameters params;
    /** Constants kept alive with the weights: autograd may read them in backward (see {@link Scalars}). */
    private final Scalars scalars;

    public LlamaModel(LlamaConfig config, Parameters params) {
        this.config = config;
        this.params = params;
        this.scalars = new Scalars(params.manager());
    }

    /** State-dict names and shapes, in HF's module order. */
    public static List<TensorSpec> specs(LlamaConfig c) {
        long C = c.hiddenSize();
        long qDim = (long) c.numHeads() * c.headDim();
        long kvDim = (long) c.numKvHeads() * c.headDim();
        long F = c.intermediateSize();
        List<TensorSpec> s = new ArrayList<>();
        s.add(new TensorSpec("model.embed_tokens.weight", new long[] {c.vocabSize(), C}));
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            s.add(new TensorSpec(p + "self_attn.q_proj.weight", new long[] {qDim, C}));
            s.add(new TensorSpec(p + "self_attn.k_proj.weight", new long[] {kvDim, C}));
            s.add(new TensorSpec(p + "self_attn.v_proj.weight", new long[] {kvDim, C}));
            s.add(new TensorSpec(p + "self_attn.o_proj.weight", new long[] {C, qDim}));
            s.add(new TensorSpec(p + "mlp.gate_proj.weight", new long[] {F, C}));
            s.add(new TensorSpec(p + "mlp.up_proj.weight", new long[] {F, C}));
            s.add(new TensorSpec(p + "mlp.down_proj.weight", new long[] {C, F}));
            s.add(new TensorSpec(p + "input_layernorm.weight", new long[] {C}));
            s.add(new TensorSpec(p + "post_attention_layernorm.weight", new long[] {C}));
        }
        s.add(new TensorSpec("model.norm.weight", new long[] {C}));
        if (!c.tieWordEmbeddings()) {
            s.add(new TensorSpec("lm_head.weight", new long[] {c.vocabSize(), C}));
        }
        return s;
    }

    @Override
    public LlamaConfig config() {
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
        NDArray x = blocks.embed();                                                  // (B, T, C)
        for (int i = 0; i < config.numLayers(); i++) {
            x = blocks.block(i, x);                                                  // (B, T, C)
        }
        if (cache != null) {
            cache.advance((int) inputIds.getShape().get(1));
        }
        if (lastOnly) {
            x = Ops.lastPosition(x);                                                // (B, 1, C)
        }
        return blocks.head(x);                                                       // (B, T, V)
    }

    /** The forward pass's three parts, shared by {@link #forward} and {@link #blocks}. */
    private final class Blocks implements BlockForward {
        private final NDArray inputIds;
        private final NDArray allowed;
        /** {@link Ops#maskBias} of {@link #allowed}, made at the first block and shared by all of them. */
        private NDArray maskBias;
        private final KvCache cache;
        private NDArray[] cosSin;                                                    // 2 x (B, 1, T, D)

        Blocks(NDArray inputIds, NDArray positionIds, NDArray allowed, KvCache cache) {
            this.inputIds = inputIds;
            this.allowed = allowed;
            this.cache = cache;
            this.cosSin = rope(inputIds.getManager(), positionIds);
            Precision p = Precision.of(w("model.embed_tokens.weight"));
            if (p != Precision.FP32) { // HF casts cos and sin to the activations' dtype (bf16 or fp16)
                cosSin = new NDArray[] {p.fromFloat32(cosSin[0]), p.fromFloat32(cosSin[1])};
            }
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
            return embedding(inputIds, w("model.embed_tokens.weight"));              // (B, T, C)
        }

        @Override
        public NDArray block(int i, NDArray x) {
            double eps = config.rmsNormEps();
            String p = "model.layers." + i + ".";
            NDArray h = rmsNorm(x, w(p + "input_layernorm.weight"), eps, scalars);
            x = x.add(attn(h, p + "self_attn.", i, cosSin, maskBias(), cache));      // (B, T, C)
            h = rmsNorm(x, w(p + "post_attention_layernorm.weight"), eps, scalars);
            NDArray gate = silu(linear(h, w(p + "mlp.gate_proj.weight"), null));     // (B, T, F)
            NDArray up = linear(h, w(p + "mlp.up_proj.weight"), null);               // (B, T, F)
            return x.add(linear(gate.mul(up), w(p + "mlp.down_proj.weight"), null)); // (B, T, C)
        }

        @Override
        public NDArray head(NDArray x) {
            x = rmsNorm(x, w("model.norm.weight"), config.rmsNormEps(), scalars);
            NDArray head = config.tieWordEmbeddings() ? w("model.embed_tokens.weight") : w("lm_head.weight");
            return linear(x, head, null);                                            // (B, T, V)
        }
    }

    private NDArray attn(NDArray h, String p, int layer, NDArray[] cosSin, NDArray maskBias, KvCache cache) {
        int d = config.headDim();
        NDArray q = splitHeads(linear(h, w(p + "q_proj.weight"), null), config.numHeads(), d);   // (B, H, T, D)
        NDArray k = splitHeads(linear(h, w(p + "k_proj.weight"), null), config.numKvHeads(), d); // (B, K, T, D)
        NDArray v = splitHeads(linear(h, w(p + "v_proj.weight"), null), config.numKvHeads(), d); // (B, K, T, D)
        q = applyRope(q, cosSin);
        k = applyRope(k, cosSin);
        if (cache != null) {
            NDArray[] kv = cache.append(layer, k, v);                                             // (B, K, S, D)
            k = kv[0];
            v = kv[1];
        }
        int nRep = config.numHeads() / config.numKvHeads();
        k = repeatKv(k, nRep, h.getManager());                                                    // (B, H, S, D)
        v = repeatKv(v, nRep, h.getManager());
        NDArray y = mergeHeads(attention(q, k, v, maskBias, (float) Math.pow(d, -0.5), scalars));   // (B, T, H*D)
        return linear(y, w(p + "o_proj.weight"), null);                                           // (B, T, C)
    }

    /**
     * cos and sin of position * inv_freq, duplicated over both halves of D like HF:
     * inv_freq = 1 / theta^(2i / D), all in fp32 so the angles match transformers bit for bit. Nothing here needs
     * a gradient; the constants still live in {@code m} (the step's manager), never as plain Java numbers.
     */
    private NDArray[] rope(NDManager m, NDArray positionIds) {
        int d = config.headDim();
        NDArray exponent = m.arange(0, d, 2).toType(DataType.FLOAT32, false).div(m.create((float) d)); // (D/2)
        NDArray invFreq = m.create(1f).div(m.create((float) config.ropeTheta()).pow(exponent));
        NDArray pos = positionIds.toType(DataType.FLOAT32, false).expandDims(-1);                 // (B, T, 1)
        NDArray freqs = pos.mul(invFreq);                                                          // (B, T, D/2)
        NDArray emb = freqs.concat(freqs, 2);                                                      // (B, T, D)
        return new NDArray[] {emb.cos().expandDims(1), emb.sin().expandDims(1)};                   // (B, 1, T, D)
    }

    /** x * cos + rotate_half(x) * sin, where rotate_half([x1, x2]) = [-x2, x1]. */
    private static NDArray applyRope(NDArray x, NDArray[] cosSin) {
        NDList halves = Ops.chunk(x, 2);                                                            // 2 x (B, H, T, D/2)
        NDArray rotated = halves.get(1).neg().concat(halves.get(0), 3);
        return x.mul(cosSin[0]).add(rotated.mul(cosSin[1]));
    }

    private NDArray w(String name) {
        return params.get(name);
    }
}
