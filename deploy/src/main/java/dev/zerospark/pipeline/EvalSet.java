package dev.zerospark.pipeline;

/**
 * The fixed evaluation set: a Delta table of held-out rows at one pinned version, the same for candidate and
 * champion and for every run. {@code maxRows} bounds the rows scored.
 */
public record EvalSet(String table, long version, int maxRows) {}
