package dev.zerospark.doctor.internal;

import ai.djl.pytorch.jni.LibUtils;
import dev.zerospark.doctor.Finding;
import org.apache.spark.SparkConf;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** DJL must load libtorch without the network: from PYTORCH_LIBRARY_PATH, DJL's cache, or the bundled native jar. */
public final class LibTorchCheck {
    static final String OFFLINE = "ai.djl.offline";

    private LibTorchCheck() {}

    /**
     * Loads libtorch in this JVM (the driver) and looks at what executors are told. {@code conf} is null without a
     * SparkContext.
     */
    public static List<Finding> check(SparkConf conf, Map<String, String> env) {
        List<Finding> out = new ArrayList<>();
        if (!Boolean.parseBoolean(System.getProperty(OFFLINE))) {
            out.add(Finding.warn(OFFLINE, "not true in this JVM: DJL may try to download libtorch when it is missing;"
                    + " pass -D" + OFFLINE + "=true (spark.driver.extraJavaOptions)"));
        }
        if (conf != null && !conf.get("spark.master", "local").startsWith("local")) {
            String opts = conf.get("spark.executor.extraJavaOptions", "");
            if (!opts.contains("-D" + OFFLINE + "=true")) {
                out.add(Finding.warn("spark.executor.extraJavaOptions", "has no -D" + OFFLINE + "=true: an executor missing"
                        + " libtorch would try to download it instead of failing"));
            }
        }
        out.add(load(env));
        return out;
    }

    static Finding load(Map<String, String> env) {
        String libPath = env.get("PYTORCH_LIBRARY_PATH");
        String setting = libPath != null ? "PYTORCH_LIBRARY_PATH" : "libtorch";
        try {
            LibUtils.loadLibrary();
            return Finding.pass(setting, "PyTorch " + LibUtils.getVersion() + " loaded from " + LibUtils.getLibtorchPath());
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            // Reported, not rethrown: the other checks still run and the summary counts this one as failed.
            String where = libPath != null ? "PYTORCH_LIBRARY_PATH is " + libPath
                    : "DJL_CACHE_DIR is " + env.getOrDefault("DJL_CACHE_DIR", "unset (~/.djl.ai)")
                            + " and no PYTORCH_LIBRARY_PATH is set";
            return Finding.fail(setting, "DJL cannot load libtorch offline (" + where + "): " + e.getClass().getSimpleName()
                    + ": " + firstLine(e.getMessage()) + "; keep the fat jar's pytorch-native jar, or point PYTORCH_LIBRARY_PATH"
                    + " at a libtorch 2.7.1 lib folder (README \"GPUs (CUDA)\")");
        }
    }

    static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
