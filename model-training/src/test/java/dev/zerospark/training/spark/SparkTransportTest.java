package dev.zerospark.training.spark;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When the job secret would travel in clear text, and which settings say it does not. */
class SparkTransportTest {
    @Test
    void aClusterWithoutSparkEncryptionIsReportedNamingTheMissingSettings() {
        SparkConf cluster = new SparkConf(false).set("spark.master", "spark://master:7077");
        String risk = SparkTransport.clearTextRisk(cluster).orElseThrow();
        assertTrue(risk.contains("spark.authenticate=true") && risk.contains("spark.network.crypto.enabled=true"), risk);
        cluster.set("spark.authenticate", "true");
        String half = SparkTransport.clearTextRisk(cluster).orElseThrow();
        assertTrue(!half.contains("spark.authenticate") && half.contains("spark.network.crypto.enabled"), half);
        cluster.set("spark.network.crypto.enabled", "true");
        assertEquals(java.util.Optional.empty(), SparkTransport.clearTextRisk(cluster));
    }

    @Test
    void aLocalMasterKeepsEverythingInOneJvm() {
        assertEquals(java.util.Optional.empty(), SparkTransport.clearTextRisk(new SparkConf(false).set("spark.master", "local[2]")));
    }
}
