package dev.zerospark.cli;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/** Command lines for {@code java ... org.apache.spark.deploy.SparkSubmit} as a cluster would run the fat jar. */
final class SparkSubmitCommand {
    private SparkSubmitCommand() {}

    /**
     * {@code java} with the JDK module opens this test JVM got from surefire (Spark's JavaModuleOptions), on the
     * classpath a cluster provides (Spark, Hadoop), running SparkSubmit; append SparkSubmit's own arguments.
     */
    static List<String> base(String maxHeap) throws java.io.IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-opens") || arg.startsWith("--add-modules") || arg.startsWith("-XX:+IgnoreUnrecognized")
                    || arg.startsWith("-Djdk.reflect") || arg.startsWith("-Dio.netty")) {
                cmd.add(arg);
            }
        }
        String providedCp = Files.readString(Paths.get(System.getProperty("zerospark.providedClasspath"))).trim();
        cmd.addAll(List.of("-Xmx" + maxHeap, "-cp", providedCp, "org.apache.spark.deploy.SparkSubmit"));
        return cmd;
    }

    static String fatJar() {
        return System.getProperty("zerospark.fatJar");
    }
}
