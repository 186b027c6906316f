package dev.zerospark.checkpoint;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.zerospark.testing.S3ProxyServer;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointStoreTest {
    private static S3ProxyServer s3;

    @BeforeAll
    static void startS3() throws Exception {
        s3 = S3ProxyServer.start();
    }

    @AfterAll
    static void stopS3() throws Exception {
        s3.close();
    }

    private static Manifest save(CheckpointStore store, long step, int ranks, int keepLast) {
        Map<String, Manifest.FileEntry> files = new HashMap<>();
        for (int r = 0; r < ranks; r++) {
            byte[] payload = ("rank " + r + " step " + step).getBytes(StandardCharsets.UTF_8);
            files.put("optim-rank" + r + ".safetensors", store.write(step, "optim-rank" + r + ".safetensors", out -> out.write(payload)));
        }
        var n = JsonNodeFactory.instance;
        Manifest m = new Manifest(step, ranks, 2, files, n.objectNode().put("align", 4), n.objectNode(),
                n.objectNode().put("table", "t").put("version", 3), n.objectNode().put("seed", 1));
        store.commit(m, keepLast);
        return m;
    }

    private static void exercise(CheckpointStore store) throws Exception {
        save(store, 10, 2, 0);
        save(store, 20, 2, 0);
        // A save that crashed before its manifest: files exist, no manifest. It must be invisible.
        store.write(30, "optim-rank0.safetensors", out -> out.write(1));
        assertEquals(List.of(10L, 20L), store.completeSteps());

        Manifest latest = store.latestValid().orElseThrow();
        assertEquals(20, latest.step());
        assertEquals(2, latest.worldSize());
        assertEquals(3, latest.data().get("version").asInt());
        try (InputStream in = store.open(20, "optim-rank1.safetensors")) {
            assertArrayEquals("rank 1 step 20".getBytes(StandardCharsets.UTF_8), in.readAllBytes());
        }

        // Damage one shard of step 20: verification names the file, and resume falls back to step 10.
        store.write(20, "optim-rank1.safetensors", out -> out.write("bit rot".getBytes(StandardCharsets.UTF_8)));
        ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class, () -> store.verify(store.manifest(20)));
        assertTrue(e.getMessage().contains("step-20/optim-rank1.safetensors"), e.getMessage());
        assertEquals(10, store.latestValid().orElseThrow().step());

        // A manifest that is there but unreadable (a torn write on a filesystem without atomic rename) is skipped too.
        save(store, 30, 2, 0);
        store.write(30, CheckpointStore.MANIFEST, out -> out.write("{\"step\": 3".getBytes(StandardCharsets.UTF_8)));
        assertEquals(10, store.latestValid().orElseThrow().step());

        save(store, 40, 2, 2);
        assertEquals(List.of(30L, 40L), store.completeSteps(), "keep_last=2 keeps the two newest");
    }

    @Test
    void localFilesystem(@TempDir Path dir) throws Exception {
        CheckpointStore store = new CheckpointStore(dir.toUri().toString() + "ckpt", new Configuration());
        exercise(store);
        assertEquals("step-40", Files.readString(dir.resolve("ckpt/latest")).trim());
    }

    @Test
    void s3aOnS3Proxy() throws Exception {
        Configuration conf = new Configuration();
        s3.hadoopConf().forEach(conf::set);
        String bucket = s3.createBucket("ckpt-test");
        exercise(new CheckpointStore(bucket + "/run1", conf));
    }

    @Test
    void emptyRootHasNoCheckpoint(@TempDir Path dir) {
        CheckpointStore store = new CheckpointStore(dir.toUri() + "none", new Configuration());
        assertTrue(store.latestValid().isEmpty());
    }
}
