package dev.zerospark.pipeline.internal;

import dev.zerospark.pipeline.LeaseHeldException;
import dev.zerospark.pipeline.LeaseLostException;
import dev.zerospark.testing.LocalSpark;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The run lease on a local filesystem and on S3 (S3Proxy through s3a://). */
class LeaseTest {
    @TempDir java.nio.file.Path tmp;

    private String root(String fs) {
        if (fs.equals("file")) return tmp.toUri().toString().replaceAll("/$", "");
        return LocalSpark.s3().createBucket("lease-" + UUID.randomUUID().toString().substring(0, 8));
    }

    private static Configuration conf() {
        return LocalSpark.session().sparkContext().hadoopConfiguration();
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "s3a"})
    void aSecondRunFailsAtOnceNamingTheActiveRunAndGetsTheLeaseAfterItEnds(String fs) {
        String uri = root(fs) + "/riddler/pipeline.lease";
        Lease first = Lease.acquire(uri, "nightly-1", Duration.ofMinutes(10), conf());
        long start = System.nanoTime();
        LeaseHeldException e = assertThrows(LeaseHeldException.class, () -> Lease.acquire(uri, "nightly-2", Duration.ofMinutes(10), conf()));
        assertTrue(System.nanoTime() - start < 10e9, "failed at once");
        assertEquals("nightly-1", e.ownerRunId());
        assertTrue(e.getMessage().contains("pipeline run nightly-1 (on host " + Lease.host() + ") is active") && e.getMessage().contains(uri), e.getMessage());
        first.close();
        assertTrue(Lease.read(uri, Duration.ofMinutes(10), conf()).isEmpty(), "released on close");
        try (Lease second = Lease.acquire(uri, "nightly-2", Duration.ofMinutes(10), conf())) {
            assertEquals("nightly-2", Lease.read(uri, Duration.ofMinutes(10), conf()).orElseThrow().runId());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "s3a"})
    void anExpiredLeaseIsTakenOverAndItsOldOwnerLosesIt(String fs) throws Exception {
        String uri = root(fs) + "/riddler/pipeline.lease";
        Lease dead = Lease.acquire(uri, "crashed-run", Duration.ofMinutes(10), conf());
        // What a run that died an hour ago leaves: its lease, expired.
        Path p = new Path(uri);
        try (OutputStream out = p.getFileSystem(conf()).create(p, true)) {
            out.write(("{\"run_id\":\"crashed-run\",\"host\":\"gone\",\"acquired_at\":\"" + Instant.now().minusSeconds(7200)
                    + "\",\"expires_at\":\"" + Instant.now().minusSeconds(3600) + "\"}").getBytes(StandardCharsets.UTF_8));
        }
        try (Lease taken = Lease.acquire(uri, "nightly-3", Duration.ofMinutes(10), conf())) {
            Lease.Holder h = Lease.read(uri, Duration.ofMinutes(10), conf()).orElseThrow();
            assertEquals("nightly-3", h.runId());
            assertTrue(h.expiresAt().isAfter(Instant.now().plusSeconds(500)), "fresh expiry: " + h.expiresAt());
            LeaseLostException lost = assertThrows(LeaseLostException.class, dead::renew);
            assertTrue(lost.getMessage().contains("run nightly-3 holds it now"), lost.getMessage());
            dead.close(); // not its lease any more: must not delete it
            assertEquals("nightly-3", Lease.read(uri, Duration.ofMinutes(10), conf()).orElseThrow().runId());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "s3a"})
    void renewalMovesTheExpiryAndTheSameRunIdTakesItsOwnLeaseBack(String fs) throws Exception {
        String uri = root(fs) + "/riddler/pipeline.lease";
        Lease lease = Lease.acquire(uri, "nightly-4", Duration.ofSeconds(60), conf());
        Instant first = Lease.read(uri, Duration.ofSeconds(60), conf()).orElseThrow().expiresAt();
        Thread.sleep(20); // a later clock reading, not a barrier
        lease.renew();
        assertTrue(Lease.read(uri, Duration.ofSeconds(60), conf()).orElseThrow().expiresAt().isAfter(first));
        // kill -9 leaves the lease behind; rerunning the same run id must not wait for it to expire.
        try (Lease again = Lease.acquire(uri, "nightly-4", Duration.ofSeconds(60), conf())) {
            assertEquals("nightly-4", Lease.read(uri, Duration.ofSeconds(60), conf()).orElseThrow().runId());
        }
        assertFalse(new Path(uri).getFileSystem(conf()).exists(new Path(uri)));
    }
}
