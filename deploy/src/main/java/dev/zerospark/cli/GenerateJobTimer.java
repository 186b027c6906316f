package dev.zerospark.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.data.generate.GenerateJob;
import dev.zerospark.data.generate.internal.ModelCache;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;

/**
 * Where {@code bench generate}'s job run spends its wall time: the one-time start-up (driver checks, model id, the
 * counting pass), the executor's model load, the chunks' generation, the commit the run waits for at the end; and its
 * generating stage's tasks (how many ran at once, how long each ran, how long the last one ran alone). The phases
 * come from the job's {@link GenerateJob.ChunkListener} callbacks, the tasks from a {@link SparkListener}.
 */
final class GenerateJobTimer implements GenerateJob.ChunkListener {
    private static final String GENERATING = "generate: generate chunk ";

    /** One finished task of a chunk's generation job: its stage, launch and finish (ms since epoch), run and CPU time (ms). */
    private record Task(int stage, long launch, long finish, long runMs, long cpuMs) {}

    private final SparkSession spark;
    private final Map<Integer, String> stageJobs = new HashMap<>();
    private final List<Task> tasks = new ArrayList<>();
    private final SparkListener listener = new SparkListener() {
        @Override
        public void onStageSubmitted(SparkListenerStageSubmitted s) {
            String description = s.properties() == null ? null : s.properties().getProperty("spark.job.description");
            synchronized (GenerateJobTimer.this) {
                if (description != null && description.startsWith(GENERATING)) stageJobs.put(s.stageInfo().stageId(), description);
            }
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd e) {
            synchronized (GenerateJobTimer.this) {
                if (!stageJobs.containsKey(e.stageId()) || e.taskMetrics() == null) return;
                tasks.add(new Task(e.stageId(), e.taskInfo().launchTime(), e.taskInfo().finishTime(), e.taskMetrics().executorRunTime(),
                        e.taskMetrics().executorCpuTime() / 1_000_000));
            }
        }
    };
    private long start;
    private long planned;
    private long lastGenerated;
    private long end;
    private double loadBefore;
    private double loadSeconds;

    GenerateJobTimer(SparkSession spark) {
        this.spark = spark;
    }

    /** Starts timing: call just before {@code GenerateJob.run}. */
    void begin() {
        spark.sparkContext().addSparkListener(listener);
        loadBefore = ModelCache.loadSeconds();
        start = System.nanoTime();
    }

    /** Stops timing: call right after {@code GenerateJob.run} returns; waits for the listener to have seen every task. */
    void finish() {
        end = System.nanoTime();
        loadSeconds = ModelCache.loadSeconds() - loadBefore;
        try {
            spark.sparkContext().listenerBus().waitUntilEmpty(); // every task end of the run delivered to the listener
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Spark's listener bus did not drain after the generate job", e);
        } finally {
            spark.sparkContext().removeSparkListener(listener);
        }
    }

    @Override
    public void planned(long toGenerate, int chunks) {
        planned = System.nanoTime();
    }

    @Override
    public void generated(int chunk, int chunks, long rows) {
        lastGenerated = System.nanoTime();
    }

    @Override
    public void committed(int chunk, int chunks, long outputVersion) {}

    double wallSeconds() {
        return (end - start) / 1e9;
    }

    /** The one-time costs of a run, which a longer run pays once too: the driver's start-up and the model load. */
    double oneTimeSeconds() {
        return (planned - start) / 1e9 + loadSeconds;
    }

    /** The run's wall time less its one-time costs: generation, dealing, scheduling, row building and every commit. */
    double perArticleSeconds() {
        return wallSeconds() - oneTimeSeconds();
    }

    /** The phases and the generating stages' tasks, as JSON fields of {@code j}. */
    synchronized void fill(ObjectNode j) {
        j.put("startup_seconds", (planned - start) / 1e9).put("model_load_seconds", loadSeconds)
                .put("generating_seconds", (lastGenerated - planned) / 1e9 - loadSeconds)
                .put("last_commit_wait_seconds", (end - lastGenerated) / 1e9);
        // Per chunk, the stage that ran the model is its generating job's stage with the most task time.
        Map<Integer, Long> runMs = new HashMap<>();
        for (Task t : tasks) runMs.merge(t.stage(), t.runMs(), Long::sum);
        Map<String, Integer> chunkStage = new HashMap<>();
        for (var e : runMs.entrySet()) {
            String job = stageJobs.get(e.getKey());
            Integer best = chunkStage.get(job);
            if (best == null || runMs.get(best) < e.getValue()) chunkStage.put(job, e.getKey());
        }
        int concurrent = 0;
        long aloneMs = 0;
        long cpuMs = 0;
        long minCpu = Long.MAX_VALUE;
        long maxCpu = 0;
        long minRun = Long.MAX_VALUE;
        long maxRun = 0;
        int count = 0;
        for (int stage : chunkStage.values()) {
            List<Task> ts = tasks.stream().filter(t -> t.stage() == stage).sorted(Comparator.comparingLong(Task::finish)).toList();
            count += ts.size();
            for (Task t : ts) {
                cpuMs += t.cpuMs();
                minCpu = Math.min(minCpu, t.cpuMs());
                maxCpu = Math.max(maxCpu, t.cpuMs());
                minRun = Math.min(minRun, t.runMs());
                maxRun = Math.max(maxRun, t.runMs());
                int overlapping = (int) ts.stream().filter(u -> u.launch() < t.finish() && t.launch() < u.finish()).count();
                concurrent = Math.max(concurrent, overlapping);
            }
            // The time the stage's last task ran after every other had finished: one core idle at the end.
            if (ts.size() > 1) aloneMs += ts.get(ts.size() - 1).finish() - ts.get(ts.size() - 2).finish();
        }
        j.put("generating_tasks", count).put("tasks_at_once_max", concurrent)
                .put("task_run_seconds_min", count == 0 ? 0 : minRun / 1e3).put("task_run_seconds_max", maxRun / 1e3)
                .put("last_task_alone_seconds", aloneMs / 1e3)
                .put("generating_tasks_cpu_seconds", cpuMs / 1e3)
                .put("task_cpu_seconds_min", count == 0 ? 0 : minCpu / 1e3).put("task_cpu_seconds_max", maxCpu / 1e3);
    }
}
