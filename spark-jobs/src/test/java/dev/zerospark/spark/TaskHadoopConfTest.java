package dev.zerospark.spark;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What tasks get of the driver's Hadoop configuration: only the keys of the filesystems they use. */
class TaskHadoopConfTest {
    private static Configuration driver() {
        Configuration c = new Configuration(false);
        c.set("fs.defaultFS", "file:///");
        c.set("fs.s3a.endpoint", "http://127.0.0.1:9000");
        c.set("fs.s3a.access.key", "S3ACCESS");
        c.set("fs.s3a.secret.key", "S3SECRETVALUE");
        c.set("fs.s3a.bucket.logs.secret.key", "S3BUCKETSECRET");
        c.set("fs.azure.account.key.acct.blob.core.windows.net", "AZURESECRETVALUE");
        c.set("fs.gs.auth.service.account.private.key", "GCSSECRETVALUE");
        c.set("dfs.client.some.setting", "x");
        return c;
    }

    /** Everything a closure or broadcast holding it would put on the wire. */
    private static String serialized(TaskHadoopConf conf) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(conf);
        }
        return bytes.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void localLocationsShipNoCloudCredentials() throws IOException {
        TaskHadoopConf conf = TaskHadoopConf.forLocations(driver(), List.of("file:/tmp/ckpt", "/tmp/run"));
        String wire = serialized(conf);
        for (String secret : List.of("S3SECRETVALUE", "S3BUCKETSECRET", "AZURESECRETVALUE", "GCSSECRETVALUE")) {
            assertFalse(wire.contains(secret), secret + " was shipped: " + conf);
        }
        assertEquals(Map.of("fs.defaultFS", "file:///"), conf.entries());
    }

    @Test
    void anS3aLocationShipsTheS3aKeysAndNoOtherFilesystemsSecrets() throws IOException {
        TaskHadoopConf conf = TaskHadoopConf.forLocations(driver(), List.of("s3a://bucket/ckpt", "file:/tmp/run"));
        assertEquals("S3SECRETVALUE", conf.entries().get("fs.s3a.secret.key"), "s3a tasks need their credentials");
        assertEquals("S3BUCKETSECRET", conf.entries().get("fs.s3a.bucket.logs.secret.key"));
        assertEquals("http://127.0.0.1:9000", conf.entries().get("fs.s3a.endpoint"));
        String wire = serialized(conf);
        assertFalse(wire.contains("AZURESECRETVALUE") || wire.contains("GCSSECRETVALUE"), conf.toString());
        assertFalse(conf.entries().containsKey("dfs.client.some.setting"));
        assertFalse(conf.toString().contains("S3SECRETVALUE"), "toString names keys only");
    }

    @Test
    void tasksGetTheirOwnDefaultsWithTheShippedKeysOnTop() {
        Configuration task = TaskHadoopConf.forLocations(driver(), List.of("s3a://bucket/x")).toConfiguration();
        assertEquals("http://127.0.0.1:9000", task.get("fs.s3a.endpoint"));
        assertTrue(task.get("fs.file.impl") != null || task.get("hadoop.tmp.dir") != null,
                "core-default.xml is loaded on the task side");
        assertEquals(null, task.get("fs.azure.account.key.acct.blob.core.windows.net"));
    }

    @Test
    void azureAndHdfsLocationsShipTheKeysTheirClientsRead() {
        Configuration d = driver();
        d.set("dfs.nameservices", "prod");
        d.set("dfs.ha.namenodes.prod", "nn1,nn2");
        TaskHadoopConf azure = TaskHadoopConf.forLocations(d, List.of("abfss://c@acct.dfs.core.windows.net/ckpt"));
        assertEquals("AZURESECRETVALUE", azure.entries().get("fs.azure.account.key.acct.blob.core.windows.net"));
        assertFalse(azure.entries().containsKey("fs.s3a.secret.key"));
        TaskHadoopConf hdfs = TaskHadoopConf.forLocations(d, List.of("hdfs://prod/ckpt"));
        assertEquals("prod", hdfs.entries().get("dfs.nameservices"), "HA nameservices resolve on the task");
        assertEquals("nn1,nn2", hdfs.entries().get("dfs.ha.namenodes.prod"));
        assertFalse(hdfs.entries().containsKey("fs.azure.account.key.acct.blob.core.windows.net"));
    }
}
