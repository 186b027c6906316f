package dev.zerospark.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.Serializable;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The part of the driver's Hadoop configuration that tasks need to reach the given locations, for closures and
 * broadcasts. The whole configuration would carry the credentials of every filesystem the driver knows (say
 * {@code fs.s3a.secret.key} and {@code fs.azure.account.key.*}) into every task and every serialized closure.
 *
 * <p>What is sent, for each scheme the locations use (a location without a scheme uses {@code fs.defaultFS}'s):
 * every {@code fs.<scheme>.*} key (implementation, endpoint, credentials, per-bucket settings) and every
 * {@code fs.AbstractFileSystem.<scheme>.*} key; plus {@code fs.defaultFS} and
 * {@code hadoop.security.credential.provider.path} when set; and the other prefixes a scheme's client reads
 * ({@code fs.azure.*} for abfs/wasb, {@code dfs.*} for hdfs and viewfs). A task that reads or writes {@code s3a://} therefore
 * still gets the s3a credentials (it cannot work without them), but none of another filesystem's. Tasks start from
 * their own defaults ({@code core-default.xml}, {@code core-site.xml}) and overlay these.
 */
public final class TaskHadoopConf implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Set<String> SHARED_KEYS = Set.of("fs.defaultFS", "hadoop.security.credential.provider.path");

    private final TreeMap<String, String> entries;

    private TaskHadoopConf(TreeMap<String, String> entries) {
        this.entries = entries;
    }

    /** The keys of {@code driver} that tasks need for {@code locations} (URIs or paths). */
    public static TaskHadoopConf forLocations(Configuration driver, Collection<String> locations) {
        Set<String> schemes = new TreeSet<>();
        for (String location : locations) {
            if (location == null || location.isBlank()) {
                continue;
            }
            String scheme = new Path(location).toUri().getScheme();
            if (scheme == null) {
                scheme = FileSystem.getDefaultUri(driver).getScheme();
            }
            if (scheme != null) {
                schemes.add(scheme.toLowerCase(Locale.ROOT));
            }
        }
        TreeMap<String, String> selected = new TreeMap<>();
        for (Map.Entry<String, String> e : driver) {
            if (needed(e.getKey(), schemes)) {
                selected.put(e.getKey(), e.getValue());
            }
        }
        return new TaskHadoopConf(selected);
    }

    /**
     * Key prefixes a scheme's filesystem reads beyond {@code fs.<scheme>.*}: Azure keeps its account keys and OAuth
     * settings under {@code fs.azure.}, HDFS its HA nameservices and client settings under {@code dfs.}, viewfs its
     * mount table under {@code fs.viewfs.} and the HDFS keys of the clusters it mounts.
     */
    private static final Map<String, List<String>> EXTRA_PREFIXES = Map.of(
            "abfs", List.of("fs.azure."), "abfss", List.of("fs.azure."),
            "wasb", List.of("fs.azure."), "wasbs", List.of("fs.azure."),
            "hdfs", List.of("dfs.", "hadoop.security."),
            "viewfs", List.of("fs.viewfs.", "dfs.", "hadoop.security."));

    private static boolean needed(String key, Set<String> schemes) {
        if (SHARED_KEYS.contains(key)) {
            return true;
        }
        for (String scheme : schemes) {
            if (key.startsWith("fs." + scheme + ".") || key.startsWith("fs.AbstractFileSystem." + scheme + ".")) {
                return true;
            }
            for (String prefix : EXTRA_PREFIXES.getOrDefault(scheme, List.of())) {
                if (key.startsWith(prefix)) return true;
            }
        }
        return false;
    }

    /** The keys sent, sorted. */
    public Map<String, String> entries() {
        return Collections.unmodifiableMap(entries);
    }

    /** On a task: this JVM's Hadoop defaults with the shipped keys on top. */
    public Configuration toConfiguration() {
        Configuration conf = new Configuration();
        entries.forEach(conf::set);
        return conf;
    }

    @Override
    public String toString() {
        return "TaskHadoopConf" + entries.keySet(); // keys only: values may be credentials
    }
}
