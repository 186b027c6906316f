package dev.zerospark.training;

import dev.zerospark.testing.S3ProxyServer;
import dev.zerospark.testing.TestPaths;
import dev.zerospark.train.TrainableModel;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A model directory on an object store is copied to local disk for loading, and the copy is gone afterwards. */
class ModelSourceTest {
    private static S3ProxyServer s3;
    private static Configuration conf;

    @BeforeAll
    static void startS3() throws Exception {
        s3 = S3ProxyServer.start();
        conf = new Configuration();
        s3.hadoopConf().forEach(conf::set);
    }

    @AfterAll
    static void stopS3() throws Exception {
        s3.close();
    }

    private static List<java.nio.file.Path> temporaryCopies() throws IOException {
        try (Stream<java.nio.file.Path> tmp = Files.list(java.nio.file.Path.of(System.getProperty("java.io.tmpdir")))) {
            return tmp.filter(p -> p.getFileName().toString().startsWith(ModelSource.TEMP_PREFIX)).toList();
        }
    }

    /** Streams a fixture file up (S3Proxy rejects the checksum of s3a's whole-file upload). */
    private static void upload(FileSystem fs, String name, Path dir) throws IOException {
        try (var out = fs.create(new Path(dir, name), true)) {
            Files.copy(TestPaths.fixture("tiny-gpt2").resolve(name), out);
        }
    }

    @Test
    void theTemporaryCopyOfAnS3ModelIsDeletedOnceLoadedOrFailed() throws Exception {
        String bucket = s3.createBucket("model-source");
        Path remote = new Path(bucket + "/tiny-gpt2");
        FileSystem fs = remote.getFileSystem(conf);
        upload(fs, "config.json", remote);
        upload(fs, "model.safetensors", remote);
        List<java.nio.file.Path> before = temporaryCopies();
        try (TrainableModel model = new ModelSource(remote.toString(), null, null, 0, 1).open(conf)) {
            assertTrue(model.numel() > 0);
        }
        assertEquals(before, temporaryCopies(), "the copy made for loading is deleted");

        // A model directory without weights fails to load; its copy goes too.
        Path broken = new Path(bucket + "/no-weights");
        upload(fs, "config.json", broken);
        assertThrows(Exception.class, () -> new ModelSource(broken.toString(), null, null, 0, 1).open(conf));
        assertEquals(before, temporaryCopies(), "the copy of a model that failed to load is deleted");
    }
}
