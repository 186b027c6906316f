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
@Command(name = "allreduce", mixinStandardHelpOptions = true,
        description = "Ring all-reduce bandwidth per size (algbw, busbw = algbw * 2(N-1)/N) vs a raw TCP loopback stream.")
public final class BenchAllReduceCommand implements Runnable {
    @Option(names = "--world-size", defaultValue = "2", paramLabel = "N", description = "Ranks as threads (default ${DEFAULT-VALUE}).") int worldSize;
    @Option(names = "--bytes", split = ",", paramLabel = "B", defaultValue = "1048576,16777216,67108864",
            description = "Buffer sizes in bytes (default ${DEFAULT-VALUE}).") long[] bytes;
    @Option(names = "--warmup", defaultValue = "5", description = "Untimed iterations per size.") int warmup;
    @Option(names = "--iters", defaultValue = "20", description = "Timed iterations per size.") int iters;
    @Option(names = "--wire", defaultValue = "fp32", paramLabel = "TYPE", converter = WireFormatConverter.class,
            description = "Number format of reduction traffic: fp32, bf16 or fp16 (default ${DEFAULT-VALUE}); buffers stay float32.") WireFormat wire;
    @Option(names = "--frame-mac", split = ",", defaultValue = "on,off", paramLabel = "on|off",
            description = "Frame MAC settings to measure, in order (default ${DEFAULT-VALUE}: its cost side by side).") List<String> frameMac;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        List<AllReduceBench.Row> rows = new java.util.ArrayList<>();
        for (String mac : frameMac) {
            boolean on = switch (mac) {
                case "on" -> true;
                case "off" -> false;
                default -> throw new CommandLine.ParameterException(spec.commandLine(),
                        "--frame-mac takes on or off, got '" + mac + "'");
            };
            rows.addAll(AllReduceBench.run(worldSize, bytes, warmup, iters,
                    CollectiveConfig.loopback(Duration.ofMinutes(2)).withReductionWire(wire).withFrameMac(on)));
        }
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
