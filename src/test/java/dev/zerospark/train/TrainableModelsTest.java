package dev.zerospark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerospark.model.TensorSpec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainableModelsTest {
    /** Llama-2-70B's tensor shapes (80 layers, hidden 8192, GQA 8 KV heads, intermediate 28672, vocab 32000). */
    static List<TensorSpec> llama70b() {
        long h = 8192;
        long kv = 1024;
        long ff = 28672;
        long vocab = 32000;
        List<TensorSpec> specs = new ArrayList<>();
        specs.add(new TensorSpec("model.embed_tokens.weight", new long[] {vocab, h}));
        for (int l = 0; l < 80; l++) {
            String p = "model.layers." + l + ".";
            specs.add(new TensorSpec(p + "input_layernorm.weight", new long[] {h}));
            specs.add(new TensorSpec(p + "self_attn.q_proj.weight", new long[] {h, h}));
            specs.add(new TensorSpec(p + "self_attn.k_proj.weight", new long[] {kv, h}));
            specs.add(new TensorSpec(p + "self_attn.v_proj.weight", new long[] {kv, h}));
            specs.add(new TensorSpec(p + "self_attn.o_proj.weight", new long[] {h, h}));
            specs.add(new TensorSpec(p + "post_attention_layernorm.weight", new long[] {h}));
            specs.add(new TensorSpec(p + "mlp.gate_proj.weight", new long[] {ff, h}));
            specs.add(new TensorSpec(p + "mlp.up_proj.weight", new long[] {ff, h}));
            specs.add(new TensorSpec(p + "mlp.down_proj.weight", new long[] {h, ff}));
        }
        specs.add(new TensorSpec("model.norm.weight", new long[] {h}));
        specs.add(new TensorSpec("lm_head.weight", new long[] {vocab, h}));
        return specs;
    }

    /** Before: layout refused more than 2^31 - 9 parameters. Now a 70B model lays out with exact 64-bit offsets. */
    @Test
    void laysOutA70BModelWith64BitOffsets() {
        List<ParamSpec> layout = TrainableModels.layout(llama70b());
        long at = 0;
        for (ParamSpec p : layout) {
            assertEquals(at, p.offset(), p.name());
            at += p.numel();
        }
        assertEquals(68_976_648_192L, at);
        ParamSpec last = layout.get(layout.size() - 1);
        assertEquals(at - 32000L * 8192, last.offset());
        assertTrue(last.decay());
        assertTrue(!layout.get(1).decay(), "1-D norms take no weight decay");
    }

    @Test
    void flatArrayPathsNameTheirLimit() {
        assertEquals(1000, TrainableModels.flatArrayLength("x", 1000));
        FlatArrayTooLargeException e = assertThrows(FlatArrayTooLargeException.class,
                () -> TrainableModels.flatArrayLength("the single-process trainer", 68_976_648_192L));
        assertTrue(e.getMessage().contains("the single-process trainer")
                && e.getMessage().contains("68976648192"), e.getMessage());
    }
}
