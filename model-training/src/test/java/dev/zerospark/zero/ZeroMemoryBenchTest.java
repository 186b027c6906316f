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
}
