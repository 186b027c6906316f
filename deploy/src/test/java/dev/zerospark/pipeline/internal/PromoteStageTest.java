package dev.zerospark.pipeline.internal;

import dev.zerospark.config.PipelineConfig;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The promotion rule: beat the champion on the metric, in the metric's direction, by at least the margin. */
class PromoteStageTest {
    private static final PipelineConfig.Promote PPL = new PipelineConfig.Promote("perplexity", 0.5);
    private static final PipelineConfig.Promote ROUGE = new PipelineConfig.Promote("rouge_l", 0.01);

    @Test
    void lowerPerplexityByTheMarginPromotesAndLessKeepsTheChampionSayingWhy() {
        assertTrue(PromoteStage.decide(PPL, 11.0, 12.0, 3).promote());
        assertTrue(PromoteStage.decide(PPL, 11.5, 12.0, 3).promote(), "exactly the margin");
        PromoteStage.Decision small = PromoteStage.decide(PPL, 11.8, 12.0, 3);
        assertFalse(small.promote());
        assertTrue(small.reason().startsWith("kept champion v3: candidate perplexity 11.8000 vs champion v3 12.0000 (lower is better)")
                && small.reason().endsWith("is below promote.min_improvement 0.5"), small.reason());
        PromoteStage.Decision worse = PromoteStage.decide(PPL, 13.0, 12.0, 3);
        assertFalse(worse.promote());
        assertTrue(worse.reason().endsWith("the candidate is not better"), worse.reason());
    }

    @Test
    void rougeLIsHigherIsBetterAndNoChampionPromotesAndNaNNever() {
        assertTrue(PromoteStage.decide(ROUGE, 0.30, 0.25, 1).promote());
        assertFalse(PromoteStage.decide(ROUGE, 0.25, 0.30, 1).promote());
        assertTrue(PromoteStage.decide(PPL, 50.0, null, null).reason().startsWith("no champion yet"));
        assertFalse(PromoteStage.decide(PPL, Double.NaN, null, null).promote());
        assertTrue(new PipelineConfig.Promote(null, 0.0).metric().equals("perplexity"));
        assertEquals(false, new PipelineConfig.Promote(null, null).higherIsBetter());
    }

    @Test
    void aZeroMarginStillNeedsAStrictImprovement() {
        PipelineConfig.Promote zero = new PipelineConfig.Promote("perplexity", 0.0);
        assertFalse(PromoteStage.decide(zero, 12.0, 12.0, 2).promote());
        assertTrue(PromoteStage.decide(zero, 11.99, 12.0, 2).promote());
    }
}
