package dev.zerospark.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.collective.AllReduceBench;
import dev.zerospark.collective.CollectiveConfig;
import dev.zerospark.collective.NetnsBench;
import dev.zerospark.collective.NetsimUnavailableException;
import dev.zerospark.collective.WireFormat;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * nccl-tests style: algorithm and bus bandwidth per size, next to a raw TCP loopback stream of the same bytes; with
 * {@code --netns N}, ranks in N network namespaces over shaped links, next to a raw stream over the same links.
 */
@Command(name = "allreduce", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Ring all-reduce bandwidth per size (algbw, busbw = algbw * 2(N-1)/N) vs a raw TCP loopback stream, "
                + "or with --netns vs a raw stream over simulated links (needs root and iproute2).")
public final class BenchAllReduceCommand implements Callable<Integer> {
    static final String NETSIM_SCRIPT = "deploy/cluster/netsim.sh";

    @Option(names = "--world-size", defaultValue = "2", paramLabel = "N", description = "Ranks as threads (default ${DEFAULT-VALUE}).") int worldSize;
    @Option(names = "--bytes", split = ",", paramLabel = "B", defaultValue = "1048576,16777216,67108864",
            description = "Buffer sizes in bytes (default ${DEFAULT-VALUE}).") long[] bytes;
    @Option(names = "--warmup", defaultValue = "5", description = "Untimed iterations per size (default ${DEFAULT-VALUE}).") int warmup;
    @Option(names = "--iters", defaultValue = "20", description = "Timed iterations per size (default ${DEFAULT-VALUE}).") int iters;
    @Option(names = "--wire", defaultValue = "fp32", paramLabel = "TYPE", converter = WireFormatConverter.class,
            description = "Number format of reduction traffic: fp32, bf16 or fp16 (default ${DEFAULT-VALUE}); buffers stay float32.") WireFormat wire;
    @Option(names = "--netns", paramLabel = "N", description = "Run N ranks as JVMs in their own network namespaces, "
            + "linked through a bridge by veth links shaped with tc (deploy/cluster/netsim.sh; replaces --world-size). "
            + "Needs root and `ip netns`; without them exits 2 (optional; default: ranks as threads).") Integer netns;
    @Option(names = "--link-gbit", defaultValue = "1", paramLabel = "R",
            description = "With --netns: each link's rate in Gbit/s, both directions (default ${DEFAULT-VALUE}).") double linkGbit;
    @Option(names = "--ip-command", defaultValue = "ip", paramLabel = "CMD",
            description = "With --netns: the iproute2 `ip` command (default ${DEFAULT-VALUE}; /usr/sbin is also searched).") String ipCommand;
    @Option(names = "--netsim-script", paramLabel = "FILE",
            description = "With --netns: netsim.sh (default: " + NETSIM_SCRIPT + " of the checkout).") Path netsimScript;
    @Option(names = "--frame-mac", split = ",", defaultValue = "on,off", paramLabel = "on|off",
            description = "Frame MAC settings to measure, in order (default ${DEFAULT-VALUE}: its cost side by side).") List<String> frameMac;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<?> rows;
        if (netns != null) {
            NetnsBench.Options options;
            try {
                options = new NetnsBench.Options(netns, linkGbit, bytes, warmup, iters, wire, CollectiveConfig.DEFAULT_CHUNK_BYTES,
                        Duration.ofMinutes(2), ProjectFiles.locate(netsimScript, NETSIM_SCRIPT), ipCommand, "zs");
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
            }
            List<NetnsBench.Row> netnsRows;
            try {
                netnsRows = NetnsBench.run(options);
            } catch (NetsimUnavailableException e) {
                spec.commandLine().getErr().println("zerospark bench allreduce --netns: " + e.getMessage());
                return CommandLine.ExitCode.USAGE;
            }
            out.printf("ranks in network namespaces, links shaped to %s Gbit/s; link_raw = one TCP stream over the same links%n", linkGbit);
            out.print(NetnsBench.table(netnsRows));
            rows = netnsRows;
        } else {
            List<AllReduceBench.Row> loopbackRows = new java.util.ArrayList<>();
            for (String mac : frameMac) {
                boolean on = switch (mac) {
                    case "on" -> true;
                    case "off" -> false;
                    default -> throw new CommandLine.ParameterException(spec.commandLine(),
                            "--frame-mac takes on or off, got '" + mac + "'");
                };
                loopbackRows.addAll(AllReduceBench.run(worldSize, bytes, warmup, iters,
                        CollectiveConfig.loopback(Duration.ofMinutes(2)).withReductionWire(wire).withFrameMac(on)));
            }
            out.print(AllReduceBench.table(loopbackRows));
            rows = loopbackRows;
        }
        try {
            out.println(new ObjectMapper().writeValueAsString(rows));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        out.flush();
        return CommandLine.ExitCode.OK;
    }
}
