package dev.zerospark.training;

import dev.zerospark.training.metrics.StepMetrics;

import java.io.Serializable;
import java.util.List;

/** What a rank hands back to the driver: rank 0 carries the run's per-step metrics. */
public record RankResult(int rank, List<StepMetrics> metrics, long lastCheckpointStep) implements Serializable {}
