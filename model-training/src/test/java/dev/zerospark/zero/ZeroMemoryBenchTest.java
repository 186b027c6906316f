package dev.zerospark.zero;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ZeroMemoryBenchTest {
    /** GPT-2-small-like shapes, so padding is small relative to Psi. */
    private static final List<FlatParam> PARAMS = List.of(
            FlatParam.ofShape("wte", 0, new long[] {50257, 64}),
            FlatParam.ofShape("ln.weight", 3_216_448, new long[] {64}),
            FlatParam.ofShape("mlp", 3_216_512, new long[] {64, 257}));

    @Test
    void partitionedOptimizerStateIsTotalOverNUpToPadding() {
        List<ZeroMemoryBench.Row> rows = ZeroMemoryBench.rows(PARAMS, 1, 2, 4);
        assertEquals(9, rows.size());
        long psi = 3_216_512 + 64 * 257;
        for (ZeroMemoryBench.Row row : rows) {
            assertEquals(psi, row.psi());
            int n = row.worldSize();
            long padding = row.paddedPsi() - psi;
            assertTrue(padding >= 0 && padding < 2L * n * n, row.toString());
            long expectedOpt = row.stage() == 0 ? 8 * row.paddedPsi() : 8 * row.paddedPsi() / n;
            assertEquals(expectedOpt, row.oursOptimizerState(), row.toString());
            // Within padding of the formula: |ours - 8 Psi / N| <= 8 * padding / N.
            assertTrue(Math.abs(row.oursOptimizerState() - row.fp32FormulaOptimizerState()) <= 8.0 * padding,
                    row.toString());
            // The optimizer keeps the reduced gradients of its own range: all of them in stage 0, its shard above.
            assertEquals(row.stage() == 0 ? 4 * row.paddedPsi() : 4 * row.paddedPsi() / n, row.oursGradients());
            assertEquals(row.stage() == 0 ? 16.0 * psi : row.stage() == 1 ? 4 * psi + 12.0 * psi / n
                    : 2 * psi + 14.0 * psi / n, row.paperTotal(), 1e-6 * psi, row.toString());
        }
    }

    @Test
    void theFormulaSplitsEachKindByStageAndPrecision() {
        long psi = 3_216_512 + 64 * 257;
        PartitionLayout layout = PartitionLayout.of(PARAMS, 4, 8);
        ZeroMemoryBench.Formula bf16 = ZeroMemoryBench.formula(layout, ZeroStage.of(2), "bf16");
        assertEquals("2Ψ + 2Ψ/N + 12Ψ/N", bf16.expression());
        assertEquals(2.0 * psi + 2.0 * psi / 4 + 12.0 * psi / 4, bf16.total(), 1e-6);
        ZeroMemoryBench.Formula fp32 = ZeroMemoryBench.formula(layout, ZeroStage.of(1), "fp32");
        assertEquals("4Ψ + 4Ψ + 12Ψ/N", fp32.expression());
        assertEquals(4.0 * psi, fp32.gradients(), 1e-6);
        assertEquals(4.0 * psi / 4, fp32.master(), 1e-6);
        assertEquals(8.0 * psi / 4, fp32.moments(), 1e-6);
        ZeroMemoryBench.Formula stage0 = ZeroMemoryBench.formula(layout, ZeroStage.of(0), "fp16");
        assertEquals(16.0 * psi, stage0.total(), 1e-6);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ZeroMemoryBench.formula(layout, ZeroStage.of(2), "fp8"));
        assertTrue(e.getMessage().contains("'fp8'"), e.getMessage());
    }
}
