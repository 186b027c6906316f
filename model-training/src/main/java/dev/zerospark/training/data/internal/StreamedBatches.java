package dev.zerospark.training.data.internal;

import dev.zerospark.table.Articles;
import dev.zerospark.training.data.RankBatches;
import dev.zerospark.training.data.Rows;
import dev.zerospark.training.data.SampleOrder;
import dev.zerospark.training.data.StreamSchedule;
import dev.zerospark.training.data.TableIndex;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A rank's batches read straight from the table's Parquet files: only the row groups its samples live in, kept in a
 * small LRU cache (the order keeps a rank's samples in few neighbouring units), and the next step's batch read on a
 * background thread while this step trains (one step ahead, never more).
 */
public final class StreamedBatches implements RankBatches {
    private static final Logger LOG = LoggerFactory.getLogger(StreamedBatches.class);
    /** Samples the order shuffles together: a bounded buffer, a few MB of token ids. */
    public static final int SHUFFLE_WINDOW = 8192;
    /**
     * Row groups a rank keeps decoded at least: a step's samples lie in one or two windows of the stream, which span
     * at most three units when units hold at least a window of rows.
     */
    static final int CACHED_UNITS = 3;

    private final TableIndex index;
    private final Configuration conf;
    private final Plan plan;
    private final StreamSchedule schedule;
    private final SampleOrder order;
    private final long[] validationStart;
    /** Decoded units, least recently used first; bounded by {@link #evict}. */
    private final Map<Integer, Rows> cache = new LinkedHashMap<>(16, 0.75f, true);
    private long cachedRows;
    private final int window;
    private final ExecutorService prefetcher;
    private Future<Rows[]> pending;
    private long pendingStep = -1;
    private int unitsRead;
    /** This rank's validation rows of the last evaluation, and the limit they were read for. */
    private Rows[] validation;
    private int validationLimit = -1;

    private StreamedBatches(TableIndex index, Configuration conf, Plan plan, int window, ExecutorService prefetcher) {
        this.index = index;
        this.conf = conf;
        this.plan = plan;
        this.prefetcher = prefetcher;
        this.window = window;
        long[] counts = index.train().stream().mapToLong(TableIndex.Unit::rows).toArray();
        this.order = new SampleOrder(counts, plan.seed(), window);
        this.schedule = new StreamSchedule(order.total(), plan.microBatch(), plan.gradAccum(), plan.worldSize());
        this.validationStart = new long[index.validation().size() + 1];
        for (int u = 0; u < index.validation().size(); u++) {
            validationStart[u + 1] = validationStart[u] + index.validation().get(u).rows();
        }
    }

    public static StreamedBatches open(TableIndex index, Plan plan, Configuration conf) {
        return open(index, plan, conf, SHUFFLE_WINDOW);
    }

    /** As {@link #open(TableIndex, Plan, Configuration)} with another shuffle window (tests use small tables). */
    static StreamedBatches open(TableIndex index, Plan plan, Configuration conf, int window) {
        ExecutorService prefetcher = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "zs-data-prefetch-rank-" + plan.rank());
            t.setDaemon(true);
            return t;
        });
        return new StreamedBatches(index, conf, plan, window, prefetcher);
    }

    @Override
    public Rows[] step(long step) throws Exception {
        Rows[] batch;
        if (pending != null && pendingStep == step) {
            batch = join();
        } else {
            if (pending != null) join(); // a read for another step: finish it before reading again
            batch = read(step);
        }
        long next = step + 1;
        pending = prefetcher.submit(() -> read(next));
        pendingStep = next;
        return batch;
    }

    private Rows[] join() throws Exception {
        Future<Rows[]> f = pending;
        pending = null;
        pendingStep = -1;
        try {
            return f.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception c ? c : e;
        }
    }

    /** This rank's micro-batches of {@code step}: its samples, read from their units in stream order. */
    private synchronized Rows[] read(long step) throws IOException {
        SampleOrder.Source[][] sources = schedule.rankBatches(order, positionAfter(step), plan.rank());
        Rows[] out = new Rows[sources.length];
        for (int m = 0; m < sources.length; m++) {
            int[][] ids = new int[sources[m].length][];
            float[][] masks = index.table().columns().lossMask() == null ? null : new float[ids.length][];
            for (int i = 0; i < ids.length; i++) {
                Rows unit = unit(sources[m][i].unit());
                int row = Math.toIntExact(sources[m][i].row());
                ids[i] = unit.ids()[row];
                if (masks != null) masks[i] = unit.masks()[row];
            }
            out[m] = new Rows(ids, masks);
        }
        return out;
    }

    /**
     * This rank's stripe of the first {@code limit} validation rows: read once and kept (every evaluation asks for the
     * same rows), each validation unit decoded once and dropped, outside the train units' cache, so an evaluation
     * neither evicts the units the next step trains on nor re-reads its units from the store each time.
     */
    @Override
    public synchronized Rows[] validation(int limit) throws IOException {
        if (validation != null && validationLimit == limit) return validation;
        long rows = Math.min(limit, validationStart[validationStart.length - 1]);
        List<Rows> out = new ArrayList<>();
        List<int[]> ids = new ArrayList<>();
        List<float[]> masks = new ArrayList<>();
        int held = -1;
        Rows unit = null;
        for (long i = plan.rank(); i < rows; i += plan.worldSize()) {
            int u = Arrays.binarySearch(validationStart, i);
            if (u < 0) u = -u - 2;
            if (u != held) {
                unit = index.read(Articles.VALIDATION, u, conf);
                held = u;
                unitsRead++;
            }
            int row = Math.toIntExact(i - validationStart[u]);
            ids.add(unit.ids()[row]);
            if (unit.masks() != null) masks.add(unit.masks()[row]);
            if (ids.size() == plan.microBatch()) {
                out.add(rows(ids, masks));
                ids.clear();
                masks.clear();
            }
        }
        if (!ids.isEmpty()) out.add(rows(ids, masks));
        validation = out.toArray(new Rows[0]);
        validationLimit = limit;
        return validation;
    }

    private static Rows rows(List<int[]> ids, List<float[]> masks) {
        return new Rows(ids.toArray(new int[0][]), masks.isEmpty() ? null : masks.toArray(new float[0][]));
    }

    /** The live train rows of unit {@code u}, from the cache or read from its file. */
    private Rows unit(int u) throws IOException {
        Rows rows = cache.get(u);
        if (rows == null) {
            rows = index.read(Articles.TRAIN, u, conf);
            cache.put(u, rows);
            cachedRows += rows.size();
            unitsRead++;
            evict();
        }
        return rows;
    }

    /**
     * Drops the least recently used units while more than {@link #CACHED_UNITS} are kept and they hold more than four
     * windows of rows: small row groups are kept by the window's worth, large ones three at a time.
     */
    private void evict() {
        var it = cache.entrySet().iterator();
        while (cache.size() > CACHED_UNITS && cachedRows > 4L * window && it.hasNext()) {
            cachedRows -= it.next().getValue().size();
            it.remove();
        }
    }

    /** The step read ahead, or -1 when no read is in flight. */
    long readingAhead() {
        return pendingStep;
    }

    /** Row groups read from files so far. */
    public synchronized int unitsRead() {
        return unitsRead;
    }

    @Override
    public StreamSchedule.Position positionAfter(long steps) {
        return schedule.after(plan.startPosition(), steps - plan.startStep());
    }

    @Override
    public String order() {
        return "SampleOrder: (file, row group) units permuted by seed and epoch, shuffled in windows of " + window;
    }

    @Override
    public int shuffleWindow() {
        return window;
    }

    @Override
    public void close() throws InterruptedException {
        try {
            if (pending != null) {
                long step = pendingStep;
                try {
                    join();
                } catch (Exception e) { // the step it read ahead for will not run: its failure changes nothing
                    LOG.debug("rank {}: read-ahead of step {} failed after the last step: {}", plan.rank(), step, e.toString());
                }
            }
        } finally {
            prefetcher.shutdown();
            prefetcher.awaitTermination(1, TimeUnit.MINUTES);
        }
    }
}
