package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.testing.TestPaths;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * deploy/airflow/zerospark_retrain.py without Airflow (not a dependency): python3 compiles it and evaluates its
 * constants and spark_conf() from the syntax tree, which must agree with submit.sh and the README's exit code table.
 */
class AirflowDagTest {
    /** Compiles the DAG, then prints {"exit": {NAME: code}, "conf": spark_conf(1)} as JSON. */
    private static final String PROBE = String.join("\n",
            "import ast, json, sys",
            "path = sys.argv[1]",
            "src = open(path).read()",
            "tree = ast.parse(src, path)",
            "compile(src, path, 'exec')",
            "ns = {}",
            "keep = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == 'spark_conf'",
            "        or isinstance(n, ast.Assign) and all(isinstance(t, ast.Name) and t.id.startswith('EXIT_') for t in n.targets)]",
            "exec(compile(ast.Module(body=keep, type_ignores=[]), path, 'exec'), ns)",
            "print(json.dumps({'exit': {k: v for k, v in ns.items() if k.startswith('EXIT_')}, 'conf': ns['spark_conf'](1)}))");

    @Test
    void theDagCompilesAndSubmitsWithSubmitShsSettings() throws Exception {
        JsonNode dag = probe();
        Map<String, String> dagConf = new TreeMap<>();
        dag.path("conf").fields().forEachRemaining(e -> dagConf.put(e.getKey(), e.getValue().asText()));

        Map<String, String> submit = new TreeMap<>();
        List<String> args = SubmitScriptTest.submit(Map.of(), "--dry-run", "pipeline", "run").args();
        for (int i = 0; i + 1 < args.size(); i++) {
            if (!args.get(i).equals("--conf")) continue;
            String[] kv = args.get(i + 1).split("=", 2);
            submit.put(kv[0], kv[1]);
        }
        // Memory and cores are the Airflow connection's business; every other setting is the same.
        for (String sizing : List.of("spark.executor.cores", "spark.executor.memory", "spark.driver.memory")) submit.remove(sizing);
        assertEquals(submit, dagConf);
    }

    @Test
    void exitCodeConstantsAreTheReadmeTable() throws Exception {
        JsonNode exit = probe().path("exit");
        Map<String, Integer> expected = Map.of("EXIT_DONE", 0, "EXIT_UNEXPECTED", 1, "EXIT_CONFIG", 2,
                "EXIT_NOTHING_NEW", 3, "EXIT_STAGE_FAILED", 4);
        Map<String, Integer> actual = new TreeMap<>();
        exit.fields().forEachRemaining(e -> actual.put(e.getKey(), e.getValue().asInt()));
        assertEquals(new TreeMap<>(expected), actual);
        String readme = Files.readString(TestPaths.repoRoot().resolve("README.md"));
        for (String row : List.of("| 0 | done |", "| 1 | unexpected error |", "| 2 | config or usage error |",
                "| 3 | nothing new", "| 4 | failed at a stage |")) {
            assertTrue(readme.contains(row), "README exit code table lacks " + row);
        }
    }

    private static JsonNode probe() throws Exception {
        List<String> cmd = new ArrayList<>(List.of("python3", "-c", PROBE,
                TestPaths.repoRoot().resolve("deploy/airflow/zerospark_retrain.py").toString()));
        Process p = new ProcessBuilder(cmd).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "python3 did not finish");
        assertEquals(0, p.exitValue(), "python3 could not compile or evaluate the DAG: " + err);
        return new ObjectMapper().readTree(out);
    }
}
