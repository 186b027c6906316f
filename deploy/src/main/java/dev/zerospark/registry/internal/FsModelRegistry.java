package dev.zerospark.registry.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.registry.ChampionChange;
import dev.zerospark.registry.ModelRegistry;
import dev.zerospark.registry.ModelVersion;
import dev.zerospark.registry.NoPreviousChampionException;
import dev.zerospark.registry.VersionNotFoundException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;

/** {@link ModelRegistry} on a Hadoop filesystem, with the champion history as a Delta table. */
public final class FsModelRegistry implements ModelRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(FsModelRegistry.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String METRICS_JSON = "metrics.json";
    public static final String MODEL_CARD = "MODEL_CARD.md";
    public static final String CHAMPION = "champion";
    public static final String HISTORY = "champion_history";

    private final SparkSession spark;
    private final String uri;

    public FsModelRegistry(SparkSession spark, String registryUri, String name) {
        this.spark = spark;
        this.uri = registryUri.replaceAll("/+$", "") + "/" + name;
    }

    @Override
    public String uri() {
        return uri;
    }

    private Configuration conf() {
        return spark.sparkContext().hadoopConfiguration();
    }

    private HistoryTable historyTable() {
        return new HistoryTable(spark, uri + "/" + HISTORY);
    }

    @Override
    public List<ModelVersion> versions() {
        List<ModelVersion> out = new ArrayList<>();
        for (int v : versionDirs()) readVersion(v).ifPresent(out::add);
        return out;
    }

    /** Numbers of every {@code v<N>} directory, complete or not, ascending. */
    private List<Integer> versionDirs() {
        Path root = new Path(uri);
        try {
            FileSystem fs = root.getFileSystem(conf());
            if (!fs.exists(root)) return List.of();
            List<Integer> out = new ArrayList<>();
            for (FileStatus s : fs.listStatus(root)) {
                OptionalInt v = parseVersion(s.getPath().getName());
                if (s.isDirectory() && v.isPresent()) out.add(v.getAsInt());
            }
            out.sort(Comparator.naturalOrder());
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list registry " + uri, e);
        }
    }

    static OptionalInt parseVersion(String dirName) {
        if (!dirName.matches("v[1-9][0-9]{0,8}")) return OptionalInt.empty();
        return OptionalInt.of(Integer.parseInt(dirName.substring(1)));
    }

    private String versionUri(int v) {
        return uri + "/" + ModelVersion.label(v);
    }

    /** The version when its metrics.json is there and is a JSON object. */
    private Optional<ModelVersion> readVersion(int v) {
        Path p = new Path(versionUri(v), METRICS_JSON);
        try (InputStream in = p.getFileSystem(conf()).open(p)) {
            JsonNode n = JSON.readTree(in);
            if (n instanceof ObjectNode o) return Optional.of(new ModelVersion(v, versionUri(v), o));
            LOG.warn("{} is not a JSON object; version v{} is skipped", p, v);
            return Optional.empty();
        } catch (FileNotFoundException e) {
            return Optional.empty(); // incomplete: metrics.json is written last
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p, e);
        }
    }

    @Override
    public ModelVersion version(int version) {
        return readVersion(version).orElseThrow(() -> new VersionNotFoundException(uri, version,
                versions().stream().map(ModelVersion::version).toList()));
    }

    @Override
    public Optional<ModelVersion> champion() {
        Optional<Integer> v = ChampionPointer.read(uri + "/" + CHAMPION, conf());
        if (v.isPresent()) {
            Optional<ModelVersion> m = readVersion(v.get());
            if (m.isPresent()) return m;
            LOG.warn("{}/{} names v{}, which is not a complete version; using the champion history", uri, CHAMPION, v.get());
        }
        List<ChampionChange> h = history();
        if (h.isEmpty()) return Optional.empty();
        return readVersion(h.get(h.size() - 1).toVersion());
    }

    @Override
    public List<ChampionChange> history() {
        return historyTable().read();
    }

    @Override
    public ModelVersion register(String sourceUri, ObjectNode metrics, java.util.function.Function<ObjectNode, String> modelCard, String runId) {
        if (runId != null) {
            for (ModelVersion m : versions()) {
                if (runId.equals(m.runId())) {
                    LOG.info("run {} already registered {}; not registering it again", runId, m.uri());
                    return m;
                }
            }
        }
        List<ModelVersion> complete = versions();
        int v = complete.isEmpty() ? 1 : complete.get(complete.size() - 1).version() + 1;
        ObjectNode m = metrics.deepCopy();
        m.put("version", v);
        if (runId != null) m.put("run_id", runId);
        m.put("registered_at", Instant.now().toString());
        Path dst = new Path(versionUri(v));
        try {
            FileSystem dstFs = dst.getFileSystem(conf());
            // Left by a registration that crashed before its metrics.json: incomplete, never listed, safe to replace.
            if (dstFs.exists(dst)) dstFs.delete(dst, true);
            Path src = new Path(sourceUri);
            FileSystem srcFs = src.getFileSystem(conf());
            if (!srcFs.isDirectory(src)) throw new FileNotFoundException("model directory " + sourceUri + " does not exist");
            dstFs.mkdirs(dst);
            for (FileStatus f : srcFs.listStatus(src)) {
                if (!FileUtil.copy(srcFs, f.getPath(), dstFs, new Path(dst, f.getPath().getName()), false, conf())) {
                    throw new IOException("copy of " + f.getPath() + " to " + dst + " failed");
                }
            }
            write(new Path(dst, MODEL_CARD), modelCard.apply(m).getBytes(StandardCharsets.UTF_8));
            write(new Path(dst, METRICS_JSON), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(m));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot register " + sourceUri + " as " + dst, e);
        }
        LOG.info("registered {} as {}", sourceUri, dst);
        return new ModelVersion(v, versionUri(v), m);
    }

    private void write(Path p, byte[] bytes) throws IOException {
        try (OutputStream out = p.getFileSystem(conf()).create(p, true)) {
            out.write(bytes);
        }
    }

    @Override
    public ChampionChange promote(int version, String action, String runId, String reason) {
        version(version); // must exist and be complete
        List<ChampionChange> h = history();
        ChampionChange last = h.isEmpty() ? null : h.get(h.size() - 1);
        ChampionChange change;
        if (last != null && last.toVersion() == version && last.action().equals(action) && java.util.Objects.equals(last.runId(), runId)) {
            change = last; // a rerun after a crash between the history commit and the pointer: only the pointer is left
        } else {
            Integer from = champion().map(ModelVersion::version).orElse(null);
            change = new ChampionChange(Instant.now(), action, from, version, runId, reason);
            historyTable().append(change);
        }
        ChampionPointer.write(uri + "/" + CHAMPION, version, versionUri(version), conf());
        LOG.info("champion of {} is now v{} ({}: {})", uri, version, action, reason);
        return change;
    }

    @Override
    public ChampionChange rollback(Integer to, String reason) {
        Integer current = champion().map(ModelVersion::version).orElse(null);
        int target;
        if (to != null) {
            target = to;
        } else {
            if (current == null) throw new NoPreviousChampionException(uri, null);
            target = previousChampion(history(), current).orElseThrow(() -> new NoPreviousChampionException(uri, current));
        }
        return promote(target, ChampionChange.ROLLBACK, null, reason);
    }

    /**
     * The champion before {@code current}: walking the history back from the newest change, the version the change
     * that made {@code current} champion moved away from.
     */
    static Optional<Integer> previousChampion(List<ChampionChange> history, int current) {
        for (int i = history.size() - 1; i >= 0; i--) {
            ChampionChange c = history.get(i);
            if (c.toVersion() == current && c.fromVersion() != null && c.fromVersion() != current) return Optional.of(c.fromVersion());
        }
        return Optional.empty();
    }

    /** A unique name beside {@code p}, for writing aside. */
    static Path aside(Path p) {
        return new Path(p.getParent(), "." + p.getName() + "." + UUID.randomUUID() + ".tmp");
    }
}
