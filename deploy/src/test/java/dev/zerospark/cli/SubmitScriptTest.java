package dev.zerospark.cli;

import dev.zerospark.testing.TestPaths;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** deploy/yarn/submit.sh builds one spark-submit command; --dry-run prints it, one argument per line. */
class SubmitScriptTest {

    record Run(int code, List<String> args, String err) {}

    @Test
    void yarnGetsGpuSchedulingNoDynamicAllocationAndTheCommandLineVerbatim() throws Exception {
        Run r = submit(Map.of(), "--dry-run", "--", "train", "--world-size", "4", "--run-dir", "s3a://b/run one");
        assertEquals(0, r.code(), r.err());
        List<String> a = r.args();
        assertEquals(List.of("spark-submit", "--master", "yarn", "--deploy-mode", "cluster"), a.subList(0, 5));
        assertTrue(hasConf(a, "spark.dynamicAllocation.enabled=false"), a.toString());
        assertTrue(hasConf(a, "spark.executor.resource.gpu.amount=1"), a.toString());
        assertTrue(hasConf(a, "spark.task.resource.gpu.amount=1"), a.toString());
        assertTrue(hasConf(a, "spark.executor.resource.gpu.discoveryScript=./gpu-discovery.sh"), a.toString());
        // YARN localizes the script into the container's working directory, where ./gpu-discovery.sh finds it.
        int files = a.indexOf("--files");
        assertTrue(files > 0 && a.get(files + 1).endsWith("deploy/yarn/gpu-discovery.sh") && Files.isRegularFile(Path.of(a.get(files + 1))), a.toString());
        int cls = a.indexOf("--class");
        assertEquals("dev.zerospark.cli.ZeroSpark", a.get(cls + 1));
        assertTrue(a.get(cls + 2).endsWith("-all.jar"), a.toString());
        List<String> zerospark = a.subList(cls + 3, a.size());
        assertEquals(List.of("train", "--world-size", "4", "--run-dir", "s3a://b/run one"), zerospark);
        DeploymentFilesTest.assertParses(zerospark);
    }

    /** The standalone end-to-end test submits with these settings "minus YARN": --master drops the YARN-only ones. */
    @Test
    void anotherMasterGetsTheSameSettingsMinusYarn() throws Exception {
        Run yarn = submit(Map.of(), "--dry-run", "prepare");
        Run standalone = submit(Map.of(), "--dry-run", "--master", "spark://127.0.0.1:7077", "prepare");
        assertEquals(0, standalone.code(), standalone.err());
        List<String> a = standalone.args();
        assertEquals(List.of("spark-submit", "--master", "spark://127.0.0.1:7077"), a.subList(0, 3));
        for (String yarnOnly : List.of("--deploy-mode", "--num-executors", "--files")) assertFalse(a.contains(yarnOnly), yarnOnly + " in " + a);
        assertFalse(a.stream().anyMatch(x -> x.startsWith("spark.yarn.") || x.startsWith("spark.authenticate")), a.toString());
        // Every --conf of the standalone command is in the YARN one, except the discovery script's location.
        for (String conf : confs(a)) {
            if (conf.startsWith("spark.executor.resource.gpu.discoveryScript=")) {
                Path script = Path.of(conf.substring(conf.indexOf('=') + 1));
                assertTrue(script.isAbsolute() && Files.isExecutable(script), "executors start before shipped files arrive: " + conf);
                continue;
            }
            assertTrue(confs(yarn.args()).contains(conf), conf + " is not in the YARN command " + yarn.args());
        }
        assertTrue(hasConf(a, "spark.dynamicAllocation.enabled=false"), a.toString());
    }

    @Test
    void zeroGpusPerExecutorLeavesGpuSchedulingOutAndExtraConfsComeLast() throws Exception {
        Run r = submit(Map.of("ZS_GPUS_PER_EXECUTOR", "0"), "--dry-run", "--conf", "spark.executor.cores=2", "prepare");
        assertEquals(0, r.code(), r.err());
        assertFalse(r.args().stream().anyMatch(x -> x.contains("resource.gpu")), r.args().toString());
        List<String> c = confs(r.args());
        assertEquals("spark.executor.cores=2", c.get(c.size() - 1), "a user's --conf overrides the defaults before it");

        Run bad = submit(Map.of(), "--dry-run", "--bogus", "prepare");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("unknown option '--bogus'"), bad.err());
        Run badGpus = submit(Map.of("ZS_GPUS_PER_EXECUTOR", "two"), "--dry-run", "prepare");
        assertEquals(2, badGpus.code());
        assertTrue(badGpus.err().contains("ZS_GPUS_PER_EXECUTOR must be a whole number, got 'two'"), badGpus.err());
    }

    private static boolean hasConf(List<String> args, String conf) {
        return confs(args).contains(conf);
    }

    private static List<String> confs(List<String> args) {
        List<String> c = new ArrayList<>();
        for (int i = 0; i + 1 < args.size(); i++) if (args.get(i).equals("--conf")) c.add(args.get(i + 1));
        return c;
    }

    static Run submit(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", TestPaths.repoRoot().resolve("deploy/yarn/submit.sh").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "submit.sh did not finish");
        return new Run(p.exitValue(), out.isEmpty() ? List.of() : List.of(out.split("\n")), err);
    }
}
