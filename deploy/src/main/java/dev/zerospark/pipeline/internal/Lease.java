package dev.zerospark.pipeline.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.pipeline.LeaseHeldException;
import dev.zerospark.pipeline.LeaseLostException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A run's exclusive claim on {@code <registry>/<name>}: a small JSON file (owner run id, host, expiry) created with
 * {@code create(overwrite=false)}, so of two runs starting together one gets {@link LeaseHeldException}. The holder
 * renews it every third of its time to live; a lease past its expiry belongs to a dead run and is taken over (moved
 * aside under a unique name first, so of two runs taking it over only one moves it on filesystems with atomic
 * rename). S3A's create checks for the file and then writes it, which is not one atomic step: two runs starting in
 * the same instant on S3 can both get the lease; schedulers start one run at a time, which this guards against
 * overlapping with a run that is still going.
 */
public final class Lease implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Lease.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the lease file says. */
    public record Holder(String runId, String host, Instant acquiredAt, Instant expiresAt) {
        boolean expired(Instant now) {
            return now.isAfter(expiresAt);
        }
    }

    private final Path path;
    private final String runId;
    private final Duration ttl;
    private final Configuration conf;
    private final Instant acquiredAt;
    private final AtomicReference<RuntimeException> lost = new AtomicReference<>();
    private ScheduledExecutorService renewer;

    private Lease(Path path, String runId, Duration ttl, Configuration conf, Instant acquiredAt) {
        this.path = path;
        this.runId = runId;
        this.ttl = ttl;
        this.conf = conf;
        this.acquiredAt = acquiredAt;
    }

    /**
     * Takes the lease at {@code uri} for {@code runId}, or throws {@link LeaseHeldException} naming the live run that
     * holds it. A lease of the same run id (a rerun after that run was killed) is taken over at once.
     */
    public static Lease acquire(String uri, String runId, Duration ttl, Configuration conf) {
        Path p = new Path(uri);
        try {
            FileSystem fs = p.getFileSystem(conf);
            for (int attempt = 0; attempt < 3; attempt++) {
                Instant now = Instant.now();
                Lease lease = new Lease(p, runId, ttl, conf, now);
                try (OutputStream out = fs.create(p, false)) {
                    out.write(lease.body(now));
                    return lease;
                } catch (FileAlreadyExistsException e) {
                    // Held, or stale: decided below.
                }
                Optional<Holder> holder = read(fs, p, ttl);
                if (holder.isEmpty()) continue; // released between our create and our read
                Holder h = holder.get();
                if (!h.expired(now) && !h.runId().equals(runId)) {
                    throw new LeaseHeldException(uri, h.runId(), h.host(), h.expiresAt());
                }
                LOG.warn("taking over lease {} of run {} (host {}): {}", uri, h.runId(), h.host(),
                        h.expired(now) ? "it expired at " + h.expiresAt() : "it is this run's own, left by an attempt that did not end");
                Path stale = new Path(p.getParent(), p.getName() + ".stale-" + UUID.randomUUID());
                if (fs.rename(p, stale)) fs.delete(stale, false); // lost the race to another taker: try again
            }
            throw new IOException("the lease file changed under every attempt to take it");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot take the pipeline lease " + uri, e);
        }
    }

    /** The lease file's holder, or empty when there is none. An unreadable (torn) file counts from its modification time. */
    public static Optional<Holder> read(String uri, Duration ttl, Configuration conf) {
        Path p = new Path(uri);
        try {
            return read(p.getFileSystem(conf), p, ttl);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the pipeline lease " + uri, e);
        }
    }

    private static Optional<Holder> read(FileSystem fs, Path p, Duration ttl) throws IOException {
        FileStatus status;
        byte[] bytes;
        try {
            status = fs.getFileStatus(p);
            try (InputStream in = fs.open(p)) {
                bytes = in.readAllBytes();
            }
        } catch (FileNotFoundException e) {
            return Optional.empty();
        }
        try {
            JsonNode n = JSON.readTree(bytes);
            return Optional.of(new Holder(n.get("run_id").asText(), n.get("host").asText(),
                    Instant.parse(n.get("acquired_at").asText()), Instant.parse(n.get("expires_at").asText())));
        } catch (IOException | RuntimeException e) {
            Instant modified = Instant.ofEpochMilli(status.getModificationTime());
            LOG.warn("lease {} is unreadable ({}); treating it as held until {} ", p, e.getMessage(), modified.plus(ttl));
            return Optional.of(new Holder("<unreadable lease>", "<unknown>", modified, modified.plus(ttl)));
        }
    }

    private byte[] body(Instant now) throws IOException {
        return JSON.writeValueAsBytes(JSON.createObjectNode().put("run_id", runId).put("host", host())
                .put("acquired_at", acquiredAt.toString()).put("expires_at", now.plus(ttl).toString()));
    }

    static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown-host";
        }
    }

    /** Extends the expiry by the time to live; fails if another run holds the file now. */
    public void renew() {
        try {
            FileSystem fs = path.getFileSystem(conf);
            Optional<Holder> h = read(fs, path, ttl);
            if (h.isEmpty() || !h.get().runId().equals(runId)) {
                throw new LeaseLostException(path.toString(), runId, h.map(x -> "run " + x.runId() + " holds it now")
                        .orElse("the lease file is gone"), null);
            }
            try (OutputStream out = fs.create(path, true)) {
                out.write(body(Instant.now()));
            }
        } catch (IOException e) {
            throw new LeaseLostException(path.toString(), runId, "renewal failed: " + e.getMessage(), e);
        }
    }

    /** Renews every third of the time to live on a daemon thread until {@link #close}. */
    public void startRenewing() {
        renewer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pipeline-lease-" + runId);
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(1, ttl.toMillis() / 3);
        renewer.scheduleWithFixedDelay(() -> {
            try {
                renew();
            } catch (RuntimeException e) {
                // Kept for check(), which the runner calls before each stage; the renewals stop here.
                lost.compareAndSet(null, e);
                LOG.error("lease {}: {}", path, e.getMessage());
                throw e;
            }
        }, every, every, TimeUnit.MILLISECONDS);
    }

    /** Throws what went wrong with the lease since it was taken, if anything. */
    public void check() {
        RuntimeException e = lost.get();
        if (e != null) throw e;
    }

    public String uri() {
        return path.toString();
    }

    /** Stops renewing and deletes the lease file if it is still this run's. */
    @Override
    public void close() {
        if (renewer != null) {
            renewer.shutdownNow();
            try {
                if (!renewer.awaitTermination(30, TimeUnit.SECONDS)) LOG.warn("lease renewer of {} did not stop in 30 s", path);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            FileSystem fs = path.getFileSystem(conf);
            Optional<Holder> h = read(fs, path, ttl);
            if (h.isPresent() && h.get().runId().equals(runId)) fs.delete(path, false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot release the pipeline lease " + path, e);
        }
    }
}
