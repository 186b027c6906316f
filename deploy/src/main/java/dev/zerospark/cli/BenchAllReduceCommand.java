package dev.zerospark.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.collective.AllReduceBench;
import dev.zerospark.collective.CollectiveConfig;
import dev.zerospark.collective.WireFormat;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;

/** nccl-tests style: algorithm and bus bandwidth per size, next to a raw TCP loopback stream of the same bytes. */
@Command(name = "allreduce", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Ring all-reduce bandwidth per size (algbw, busbw = algbw * 2(N-1)/N) vs a raw TCP loopback stream.")
public final class BenchAllReduceCommand implements Runnable {
    @Option(names = "--world-size", defaultValue = "2", paramLabel = "N", description = "Ranks as threads (default ${DEFAULT-VALUE}).") int worldSize;
    @Option(names = "--bytes", split = ",", paramLabel = "B", defaultValue = "1048576,16777216,67108864",
            description = "Buffer sizes in bytes (default ${DEFAULT-VALUE}).") long[] bytes;
    @Option(names = "--warmup", defaultValue = "5", description = "Untimed iterations per size.") int warmup;
    @Option(names = "--iters", defaultValue = "20", description = "Timed iterations per size.") int iters;
    @Option(names = "--wire", defaultValue = "fp32", paramLabel = "TYPE", converter = WireFormatConverter.class,
            description = "Number format of reduction traffic: fp32, bf16 or fp16 (default ${DEFAULT-VALUE}); buffers stay float32.") WireFormat wire;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        List<AllReduceBench.Row> rows = AllReduceBench.run(worldSize, bytes, warmup, iters,
                CollectiveConfig.loopback(Duration.ofMinutes(2)).withReductionWire(wire));
        PrintWriter out = spec.commandLine().getOut();
        out.print(AllReduceBench.table(rows));
        try {
            out.println(new ObjectMapper().writeValueAsString(rows));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        out.flush();
    }
}
