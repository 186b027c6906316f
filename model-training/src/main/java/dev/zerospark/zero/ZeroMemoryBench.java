package dev.zerospark.zero;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code bench zero-memory}: per-rank bytes of parameters, gradients, fp32 master weights and AdamW state for ZeRO
 * stages 0/1/2 at several world sizes, as this trainer allocates them ({@link ZeroMemory#plan}, which tests check
 * against the real allocations), next to the ZeRO paper's formulas for Psi parameters (Rajbhandari et al. 2020,
 * mixed-precision Adam, K = 12: fp16 params 2Psi, fp16 grads 2Psi, fp32 master + momentum + variance 12Psi).
 * This trainer keeps everything in fp32; its optimizer holds grads 4Psi (stage 0) or 4Psi/N, master 4Psi, m + v
 * 8Psi with the partitioned terms divided by N, and one bounded gradient bucket; the model's own weights and
 * gradients (4Psi each) are the model's.
 */
public final class ZeroMemoryBench {
    /**
     * One row. {@code ours*} are allocations; {@code fp32Formula*} the paper's formula with fp32 sizes (what ours
     * must equal up to padding); {@code paper*} the paper's mixed-precision numbers.
     */
    public record Row(int stage, int worldSize, long psi, long paddedPsi, long oursParams, long oursGradients,
                      long oursMicroBatchGradients, long oursMaster, long oursOptimizerState, long oursTotal,
                      double fp32FormulaOptimizerState, double fp32FormulaMaster, double fp32FormulaGradients,
                      double paperParams, double paperGradients, double paperOptimizerStates, double paperTotal) {
        /** Our optimizer state (m + v) over the formula's; 1 up to alignment padding. */
        public double optimizerStateRatio() {
            return oursOptimizerState / fp32FormulaOptimizerState;
        }
    }

    /**
     * The ZeRO paper's per-rank bytes of model states (Rajbhandari et al. 2020, section 3.1, with K = 12 for
     * Adam: fp32 master 4, momentum 4, variance 4) for Psi = {@code psi} parameters, N ranks, a ZeRO stage and the
     * training precision: weights w Psi and gradients w Psi with w = 2 (bf16/fp16) or 4 (fp32); gradients divided by
     * N from stage 2, master and moments by N from stage 1. In fp32 the master is DeepSpeed's fp32 partition copy.
     */
    public record Formula(String precision, int worldSize, int stage, long psi, double weights, double gradients,
                          double master, double moments) {
        public double total() {
            return weights + gradients + master + moments;
        }

        /** The formula in Psi, e.g. {@code 2Ψ + 2Ψ/N + 12Ψ/N} for bf16 at stage 2. */
        public String expression() {
            int w = bytesPerWeight(precision);
            String n = stage >= 1 ? "/N" : "";
            return w + "Ψ + " + w + "Ψ" + (stage >= 2 ? "/N" : "") + " + 12Ψ" + n;
        }
    }

    private ZeroMemoryBench() {}

    /** {@link Formula} for {@code layout}'s Psi and world size at {@code stage} in {@code precision} (fp32|bf16|fp16). */
    public static Formula formula(PartitionLayout layout, ZeroStage stage, String precision) {
        double psi = layout.numel();
        int n = layout.worldSize();
        double w = bytesPerWeight(precision);
        double optDivisor = stage.partitionsOptimizer() ? n : 1;
        double gradDivisor = stage.partitionsGradients() ? n : 1;
        return new Formula(precision, n, stage.number(), layout.numel(), w * psi, w * psi / gradDivisor,
                4 * psi / optDivisor, 8 * psi / optDivisor);
    }

    private static int bytesPerWeight(String precision) {
        return switch (precision) {
            case "fp32" -> 4;
            case "bf16", "fp16" -> 2;
            default -> throw new IllegalArgumentException("precision must be fp32, bf16 or fp16, got '" + precision + "'");
        };
    }

    /** One line per (stage, N): our bytes next to the fp32 formula and the paper's mixed-precision numbers. */
    public static String table(List<Row> rows) {
        StringBuilder out = new StringBuilder(String.format("%5s %3s %12s | %13s %13s %13s %13s %13s | %13s %8s | %13s%n",
                "stage", "N", "psi", "params", "grads", "grad_micro", "master", "adam_m+v", "8psi/N(m+v)",
                "ratio", "paper_total"));
        for (Row r : rows) {
            out.append(String.format("%5d %3d %12d | %13d %13d %13d %13d %13d | %13.0f %8.5f | %13.0f%n", r.stage(),
                    r.worldSize(), r.psi(), r.oursParams(), r.oursGradients(), r.oursMicroBatchGradients(),
                    r.oursMaster(), r.oursOptimizerState(), r.fp32FormulaOptimizerState(), r.optimizerStateRatio(),
                    r.paperTotal()));
        }
        return out.toString();
    }

    /** Rows for every stage in {0, 1, 2} and every world size given, with DeepSpeed's 2N alignment. */
    public static List<Row> rows(List<FlatParam> params, int... worldSizes) {
        List<Row> rows = new ArrayList<>();
        for (ZeroStage stage : ZeroStage.values()) {
            for (int n : worldSizes) {
                PartitionLayout layout = PartitionLayout.of(params, n, 2 * n);
                rows.add(row(layout, stage));
            }
        }
        return rows;
    }

    static Row row(PartitionLayout layout, ZeroStage stage) {
        ZeroMemory ours = ZeroMemory.plan(layout, stage, ZeroOptimizer.MAX_BUCKET_ELEMENTS);
        double psi = layout.numel();
        int n = layout.worldSize();
        double optDivisor = stage.partitionsOptimizer() ? n : 1;
        double gradDivisor = stage.partitionsGradients() ? n : 1;
        Formula paper = formula(layout, stage, "bf16");
        double paperParams = paper.weights();
        double paperGrads = paper.gradients();
        double paperOpt = paper.master() + paper.moments();
        return new Row(stage.number(), n, layout.numel(), layout.paddedNumel(), ours.params(), ours.gradients(),
                ours.microBatchGradients(), ours.master(), ours.optimizerState(), ours.total(),
                8 * psi / optDivisor, 4 * psi / optDivisor, 4 * psi / gradDivisor, paperParams, paperGrads, paperOpt,
                paperParams + paperGrads + paperOpt);
    }
}
