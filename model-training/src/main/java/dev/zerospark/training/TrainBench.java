package dev.zerospark.training;

import dev.zerospark.checkpoint.RankCheckpoint;
import dev.zerospark.checkpoint.CheckpointStore;
import dev.zerospark.checkpoint.Manifest;
import dev.zerospark.collective.LocalRanks;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.TrainConfig;
import dev.zerospark.training.data.TrainingTable;
import dev.zerospark.training.metrics.StepMetrics;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;

import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * {@code bench train}: the same model and global batch trained with 1 and with 2 ranks (threads of this JVM over
 * real TCP ({@link LocalRanks#hosted}), sharing one intra-op thread pool of the same size), with the per-step time split into compute,
 * communication, optimizer and data; then checkpoint save and load throughput next to a raw write and read of the
 * same bytes to the same store.
 */
public final class TrainBench {
    public record Options(String arch, String preset, int seqLen, int globalBatch, int steps, int threads, String store) {}

    /** One world size's averages over the measured steps (the first step, a warm-up, is left out). */
    public record Row(int worldSize, double tokensPerS, double stepMs, double computeMs, double commMs,
                      double optimizerMs, double dataMs) {}

    public record Checkpoint(long bytes, double saveMBps, double rawWriteMBps, double loadMBps, double rawReadMBps) {}

    public record Result(List<Row> rows, Checkpoint checkpoint, long parameters) {}

    private TrainBench() {}

    public static Result run(Options o) throws Exception {
        int vocab = 1024;
        Random rnd = new Random(1);
        int[][] train = new int[o.globalBatch() * (o.steps() + 1)][o.seqLen() + 1];
        for (int[] row : train) for (int i = 0; i < row.length; i++) row[i] = rnd.nextInt(vocab);
        TrainingTable table = new TrainingTable("synthetic", 0, train, null, new int[0][], null);
        ModelSource source = new ModelSource(null, o.arch(), o.preset(), vocab, 1);
        Configuration conf = new Configuration();
        List<Row> rows = new ArrayList<>();
        for (int world : new int[] {1, 2}) {
            String ckpt = o.store() + "/bench-w" + world;
            List<StepMetrics> m = train(o, world, table, source, conf, ckpt, o.steps() + 1);
            rows.add(average(world, m.subList(1, m.size())));
        }
        Checkpoint ck = checkpointIo(o.store() + "/bench-w2", conf);
        long params;
        try (var model = source.open(conf)) {
            params = model.numel();
        }
        return new Result(rows, ck, params);
    }

    private static List<StepMetrics> train(Options o, int world, TrainingTable table, ModelSource source,
                                           Configuration conf, String ckpt, int steps) throws Exception {
        if (o.globalBatch() % world != 0) throw new IllegalArgumentException("global batch must divide by " + world);
        Map<String, Object> keys = new java.util.HashMap<>();
        keys.put("train.world_size", world);
        keys.put("train.steps", steps);
        keys.put("train.micro_batch_size", o.globalBatch() / world);
        keys.put("train.seq_len", o.seqLen());
        keys.put("train.threads", o.threads());
        keys.put("train.checkpoint_dir", ckpt);
        keys.put("train.checkpoint_interval", steps);
        keys.put("train.eval_interval", 0);
        keys.put("train.run_dir", ckpt + "-run");
        keys.put("train.collective_timeout_s", 300);
        TrainConfig cfg = ConfigLoader.load(null, keys).train();
        RunSpec spec = RunSpec.from(cfg, "{}", java.util.UUID.randomUUID().toString(), -1);
        List<RankResult> ranks = LocalRanks.hosted(world, Duration.ofMinutes(5),
                (rank, rendezvous) -> new RankTrainer(spec, table, source, conf).run(new ThreadHost(rank, rendezvous)));
        return ranks.stream().filter(r -> r.rank() == 0).findFirst().orElseThrow().metrics();
    }

    private static Row average(int world, List<StepMetrics> m) {
        double n = m.size();
        return new Row(world, m.stream().mapToDouble(StepMetrics::tokensPerS).sum() / n,
                1000 * m.stream().mapToDouble(StepMetrics::stepSeconds).sum() / n,
                1000 * m.stream().mapToDouble(StepMetrics::computeSeconds).sum() / n,
                1000 * m.stream().mapToDouble(StepMetrics::commSeconds).sum() / n,
                1000 * m.stream().mapToDouble(StepMetrics::optimizerSeconds).sum() / n,
                1000 * m.stream().mapToDouble(StepMetrics::dataSeconds).sum() / n);
    }

    /** Checkpoint I/O is timed over at least this many bytes per operation (a tiny model's step is ~1 MB). */
    private static final long MEASURED_BYTES = 256L << 20;
    private static final int MIN_ROUNDS = 3;
    private static final int MAX_ROUNDS = 100;

    /**
     * Checkpoint I/O on the store the 2-rank run used: save = writing that checkpoint's files through the
     * checkpoint writer (chunk CRC32Cs and sha256s on the fly) from memory, load = every rank reading its own optimizer
     * range (every chunk's CRC32C verified) into optimizer state that exists already, as in a resume (the trainer
     * builds its optimizer whether it resumes or not, so building it is not timed); each next to a raw write/read of
     * the same bytes to the same store through the store's own {@code FileSystem} (one write call per file; a
     * sequential read of each file into an array of its size: the step's own optimizer shards, which load reads, through
     * the filesystem load reads them with, see {@link #rawRead}). One
     * untimed round first (JIT, filesystem caches), then rounds in which each checkpoint operation and its raw twin
     * take turns going first, so drift on a shared machine hits each alike, until each has moved
     * {@link #MEASURED_BYTES}. Each rate is from the median round, so one GC pause or a neighbour's burst on a
     * shared host does not decide the row.
     */
    private static Checkpoint checkpointIo(String root, Configuration conf) throws Exception {
        CheckpointStore store = new CheckpointStore(root, conf);
        Manifest m = store.latestValid().orElseThrow();
        Map<String, byte[]> files = new java.util.LinkedHashMap<>();
        for (String name : m.files().keySet()) {
            try (InputStream in = store.open(m.step(), name)) {
                files.put(name, in.readAllBytes());
            }
        }
        long bytes = files.values().stream().mapToLong(b -> b.length).sum();
        long shardBytes = 0;
        for (int r = 0; r < m.worldSize(); r++) shardBytes += files.get(RankCheckpoint.optimFile(r)).length;
        int rounds = (int) Math.max(MIN_ROUNDS, Math.min(MAX_ROUNDS, MEASURED_BYTES / Math.max(1, bytes)));
        double[][] seconds = new double[4][rounds];
        warmUpLoads(store, m);
        for (int round = 0; round <= rounds; round++) {
            double[] t = ioRound(store, m, files, root, conf, round % 2 == 1);
            if (round > 0) for (int i = 0; i < 4; i++) seconds[i][round - 1] = t[i];
        }
        double mb = bytes / 1e6;
        double shardMb = shardBytes / 1e6;
        return new Checkpoint(bytes, mb / median(seconds[0]), mb / median(seconds[1]), shardMb / median(seconds[2]),
                shardMb / median(seconds[3]));
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** One round: seconds of save, raw write, load, raw read; {@code rawFirst}: each raw twin goes first. */
    private static double[] ioRound(CheckpointStore store, Manifest m, Map<String, byte[]> files, String root,
                                    Configuration conf, boolean rawFirst) throws Exception {
        double[] t = new double[4];
        for (int turn = 0; turn < 2; turn++) {
            if ((turn == 0) != rawFirst) t[0] = save(store, m, files);
            else t[1] = rawWrite(files, root, conf);
        }
        // What a resume at the same world size reads: every rank its own range of the flat state, verified, into
        // the optimizer state a resume has already built.
        try (ai.djl.ndarray.NDManager cpu = ai.djl.ndarray.NDManager.newBaseManager(ai.djl.Device.cpu(), "PyTorch")) {
            List<dev.zerospark.zero.ShardedAdamW> adams = resumedState(m, cpu);
            for (int turn = 0; turn < 2; turn++) {
                if ((turn == 0) != rawFirst) {
                    long t0 = System.nanoTime();
                    for (var adam : adams) RankCheckpoint.load(store, m, m.layout(), adam);
                    t[2] = (System.nanoTime() - t0) / 1e9;
                } else {
                    t[3] = rawRead(store, m);
                }
            }
            for (var adam : adams) adam.close();
        }
        return t;
    }

    /** Untimed loads (and raw reads) before the timed rounds, at most this many, for at most {@link #WARM_UP_NANOS}. */
    private static final int WARM_UP_LOADS = 3000;
    private static final long WARM_UP_NANOS = 3_000_000_000L;

    /**
     * Loads and raw-reads the checkpoint {@link #WARM_UP_LOADS} times (or for {@link #WARM_UP_NANOS}), untimed. With shards of a few hundred KB a
     * load is mostly Java (the manifest's chunk map, the header, the layout's runs), which a few hundred rounds leave
     * in the JIT's profiling tier at 3-4x its compiled time; the raw read is mostly native. Without this the row
     * timed the warm-up of the JIT rather than the load (measured: about 1.1 ms for the two shards in the timed
     * rounds, against 0.3 ms once compiled).
     */
    private static void warmUpLoads(CheckpointStore store, Manifest m) throws Exception {
        try (ai.djl.ndarray.NDManager cpu = ai.djl.ndarray.NDManager.newBaseManager(ai.djl.Device.cpu(), "PyTorch")) {
            List<dev.zerospark.zero.ShardedAdamW> adams = resumedState(m, cpu);
            long t0 = System.nanoTime();
            for (int i = 0; i < WARM_UP_LOADS && System.nanoTime() - t0 < WARM_UP_NANOS; i++) {
                for (var adam : adams) RankCheckpoint.load(store, m, m.layout(), adam);
                rawRead(store, m);
            }
            for (var adam : adams) adam.close();
        }
    }

    /** Each rank's optimizer state as a resume at the checkpoint's world size builds it (zeros). */
    private static List<dev.zerospark.zero.ShardedAdamW> resumedState(Manifest m, ai.djl.ndarray.NDManager cpu) {
        dev.zerospark.checkpoint.Layout layout = m.layout();
        List<dev.zerospark.zero.FlatParam> flat = new ArrayList<>();
        for (var p : layout.params()) flat.add(new dev.zerospark.zero.FlatParam(p.name(), p.offset(), p.numel(), p.decay()));
        dev.zerospark.zero.PartitionLayout partition = dev.zerospark.zero.PartitionLayout.of(flat, layout.worldSize(), layout.alignment());
        long shard = m.zeroStage() > 0 ? layout.shardSize() : layout.paddedNumel();
        List<dev.zerospark.zero.ShardedAdamW> adams = new ArrayList<>();
        for (int r = 0; r < m.worldSize(); r++) {
            adams.add(dev.zerospark.zero.ShardedAdamW.forRange(partition, m.zeroStage() > 0 ? r * shard : 0, shard,
                    new dev.zerospark.optim.AdamWConfig(0.9, 0.95, 1e-8, 0), cpu));
        }
        return adams;
    }

    private static double save(CheckpointStore store, Manifest m, Map<String, byte[]> files) {
        long t0 = System.nanoTime();
        for (var e : files.entrySet()) store.write(m.step() + 1_000_000, e.getKey(), out -> out.write(e.getValue()));
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double rawWrite(Map<String, byte[]> files, String root, Configuration conf) throws Exception {
        long t0 = System.nanoTime();
        for (var e : files.entrySet()) {
            Path p = new Path(root + "/raw/" + e.getKey());
            try (FSDataOutputStream out = p.getFileSystem(conf).create(p, true)) {
                out.write(e.getValue());
            }
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /**
     * The raw twin of load: the very files load reads (the step's optimizer shards, so both sides find the same
     * caches), through the store's Hadoop {@code FileSystem} as any reader of the store would (for {@code file://} its
     * raw local one, without the {@code .crc} side file load skips too), each read whole, sequentially, with one
     * {@code readFully} into an array of its size. Load itself reads a raw local file through a {@code FileChannel} of
     * its own ({@link dev.zerospark.checkpoint.internal.PositionedFile}), without the Hadoop stream's per-file costs;
     * on any other store it reads through the same stream as this.
     */
    private static double rawRead(CheckpointStore store, Manifest m) throws Exception {
        // The arrays exist before the clock starts, as the optimizer state load fills does: neither side times
        // allocating (and the JVM zeroing) its destination.
        byte[][] into = new byte[m.worldSize()][];
        for (int r = 0; r < m.worldSize(); r++) {
            into[r] = new byte[Math.toIntExact(m.files().get(RankCheckpoint.optimFile(r)).bytes())];
        }
        long t0 = System.nanoTime();
        for (int r = 0; r < m.worldSize(); r++) {
            org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(store.stepUri(m.step()) + "/" + RankCheckpoint.optimFile(r));
            try (org.apache.hadoop.fs.FSDataInputStream in = store.readFileSystem(m.step()).open(p)) {
                in.readFully(into[r]);
            }
        }
        return (System.nanoTime() - t0) / 1e9;
    }
}
