package dev.zerospark.collective;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs {@code deploy/cluster/netsim.sh}, which owns every namespace, link and rate; this only calls it. */
final class Netsim {
    /** netsim.sh's exit code for "cannot run on this host". */
    static final int UNAVAILABLE = 2;
    private static final long SCRIPT_TIMEOUT_SECONDS = 120;

    private final Path script;
    private final String ipCommand;
    private final String prefix;

    Netsim(Path script, String ipCommand, String prefix) {
        this.script = script;
        this.ipCommand = ipCommand;
        this.prefix = prefix;
    }

    /**
     * The {@code ip} command as a path: a bare name is looked up on PATH and then in /usr/sbin and /sbin, where
     * iproute2 lives but a non-root PATH often does not reach. Unchanged when not found (check() then says so).
     */
    String ipCommand() {
        if (ipCommand.contains("/")) {
            return ipCommand;
        }
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/sbin", "/sbin"));
        for (String d : dirs) {
            Path candidate = Path.of(d.isEmpty() ? "." : d, ipCommand);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return ipCommand;
    }

    String namespace(int rank) {
        return prefix + rank;
    }

    /** @throws NetsimUnavailableException with the script's own one-line reason when this host cannot run it */
    void check() {
        if (script == null || !Files.isRegularFile(script)) {
            throw new NetsimUnavailableException("netsim script not found at " + script
                    + " (deploy/cluster/netsim.sh of the zerospark checkout)");
        }
        Result r = call("check");
        if (r.code() == UNAVAILABLE) {
            throw new NetsimUnavailableException(r.output().isBlank()
                    ? "netsim.sh check exited " + UNAVAILABLE + ": this host cannot build network namespaces"
                    : r.output().strip());
        }
        r.orThrow("check");
    }

    void up(int ranks, double linkGbit) {
        call("up", Integer.toString(ranks), Double.toString(linkGbit)).orThrow("up");
    }

    void down() {
        call("down").orThrow("down");
    }

    private record Result(int code, String output, List<String> command) {
        void orThrow(String what) {
            if (code != 0) {
                throw new IllegalStateException("netsim.sh " + what + " exited " + code + " (" + String.join(" ", command)
                        + "): " + output.strip());
            }
        }
    }

    private Result call(String... args) {
        List<String> cmd = new ArrayList<>(List.of("bash", script.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("NETSIM_IP", ipCommand());
        pb.environment().put("NETSIM_PREFIX", prefix);
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            // The script prints a few lines and ends; reading to the end cannot block on a full pipe.
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(SCRIPT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new IllegalStateException("netsim.sh " + args[0] + " did not finish within " + SCRIPT_TIMEOUT_SECONDS + " s");
            }
            return new Result(p.exitValue(), output, cmd);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + cmd, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + cmd, e);
        }
    }
}
