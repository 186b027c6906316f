package dev.zerospark.config;

/**
 * The whole configuration document: one optional section per command. Files in {@code conf/} hold one or more
 * sections; CLI flags override keys inside them ({@code --seq-len} → {@code prepare.seq_len}).
 */
public record ZeroSparkConfig(PrepareConfig prepare, TrainConfig train, GenerateConfig generate, PipelineConfig pipeline) {
    public ZeroSparkConfig {
        prepare = Check.or(prepare, PrepareConfig.defaults());
        train = Check.or(train, TrainConfig.defaults());
        generate = Check.or(generate, GenerateConfig.defaults());
        pipeline = Check.or(pipeline, PipelineConfig.defaults());
    }
}
