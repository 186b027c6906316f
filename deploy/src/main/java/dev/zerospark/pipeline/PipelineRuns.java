package dev.zerospark.pipeline;

import java.util.List;
import java.util.Optional;

/** The {@code pipeline_runs} Delta table of one pipeline ({@code <registry>/<name>/pipeline_runs}). */
public interface PipelineRuns {
    String uri();

    /** Every row of {@code runId}, in the order they were written. */
    List<StageRecord> records(String runId);

    /** Each stage's last row for {@code runId}, in stage order; stages with no row are absent. */
    List<StageRecord> latest(String runId);

    /** The newest row with this stage and status of any run other than {@code exceptRunId}. */
    Optional<StageRecord> newest(String stage, StageStatus status, String exceptRunId);
}
