package dev.zerospark.training.data;

import dev.zerospark.config.ConfigException;
import dev.zerospark.table.LmBlocks;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.training.data.internal.ParquetRowGroups;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The driver lists a pinned version's files from the Delta log, and ranks read the rows straight from the Parquet
 * files: the same rows Spark's own Delta reader returns, deleted rows (deletion vectors) left out, mapped column
 * names honoured.
 */
class TableFilesTest {
    /** Every train block of the table as the ranks read it: the block numbers (token 0), unit by unit. */
    private static Set<Integer> readAll(TableIndex index, List<TableIndex.Unit> units, String split) throws Exception {
        Set<Integer> seen = new TreeSet<>();
        Configuration conf = LocalSpark.session().sparkContext().hadoopConfiguration();
        for (TableIndex.Unit u : units) {
            try (ParquetRowGroups groups = ParquetRowGroups.open(index.table(), index.table().files().get(u.file()), conf)) {
                Rows rows = groups.read(u.rowGroup(), split);
                assertEquals(u.rows(), rows.size(), "unit " + u);
                for (int[] ids : rows.ids()) assertTrue(seen.add(ids[0]), "block " + ids[0] + " read twice");
            }
        }
        return seen;
    }

    private static Set<Integer> sparkBlocks(SparkSession spark, String uri, long version, String split) {
        Set<Integer> out = new TreeSet<>();
        for (Row r : spark.read().format("delta").option("versionAsOf", version).load(uri)
                .where(LmBlocks.SPLIT + " = '" + split + "'").select(LmBlocks.INPUT_IDS).collectAsList()) {
            out.add(r.<Integer>getList(0).get(0));
        }
        return out;
    }

    @Test
    void deletedRowsAreNotRead() throws Exception {
        SparkSession spark = LocalSpark.session();
        String uri = LmBlocksFixture.table(spark, "'delta.enableDeletionVectors' = 'true'");
        spark.sql("DELETE FROM delta.`" + uri + "` WHERE block_id IN ('b0001', 'b0002', 'b0450', 'b0899', 'b0005')");
        TableFiles files = TableFiles.resolve(spark, uri, null);
        assertEquals(2, files.version());
        assertEquals(3, files.files().size());
        assertTrue(files.files().stream().anyMatch(f -> f.deletionVector() != null), "DELETE wrote deletion vectors");
        assertEquals(900, files.files().stream().mapToLong(DataFile::records).sum(), "physical rows, from the Delta stats");
        TableIndex index = TableIndex.count(files, spark.sparkContext().hadoopConfiguration());
        assertTrue(index.train().size() > 3, "several row groups per file: " + index.train());

        Set<Integer> train = readAll(index, index.train(), "train");
        assertEquals(sparkBlocks(spark, uri, 2, "train"), train);
        assertEquals(717, train.size()); // 720 train blocks less the 3 deleted ones (5 and 450 are validation blocks)
        for (int deleted : List.of(1, 2, 899)) assertFalse(train.contains(deleted), "deleted block " + deleted);
        assertEquals(717, index.trainRows());
        assertEquals(9, index.minLength());
        assertEquals(9, index.maxLength());
        assertEquals(0, index.minId());
        assertEquals(898, index.maxId(), "block 899, the largest id, is deleted");
        Set<Integer> validation = readAll(index, index.validation(), "validation");
        assertEquals(sparkBlocks(spark, uri, 2, "validation"), validation);
        assertEquals(178, validation.size());
        assertFalse(validation.contains(5) || validation.contains(450));

        // Pinned to the version before the delete: no deletion vectors, every row.
        TableFiles before = TableFiles.resolve(spark, uri, 1L);
        assertTrue(before.files().stream().allMatch(f -> f.deletionVector() == null));
        assertEquals(720, TableIndex.build(new org.apache.spark.api.java.JavaSparkContext(spark.sparkContext()), before,
                dev.zerospark.spark.TaskHadoopConf.forLocations(spark.sparkContext().hadoopConfiguration(), List.of(uri))).trainRows());
    }

    /**
     * A table partitioned by split keeps no split column in its files: each file's rows take the split of the file's
     * partition value (keyed by the physical name under column mapping), so the ranks read the same blocks, token for
     * token, as from the same table unpartitioned; a file whose split is null holds neither split.
     */
    @Test
    void aSplitPartitionIsReadFromEachFilesPartitionValue() throws Exception {
        SparkSession spark = LocalSpark.session();
        for (String properties : List.of("'delta.enableDeletionVectors' = 'true'",
                "'delta.columnMapping.mode' = 'name', 'delta.enableDeletionVectors' = 'true'")) {
            TableIndex flat = null;
            for (boolean bySplit : List.of(false, true)) {
                String uri = LmBlocksFixture.table(spark, properties, bySplit);
                spark.sql("INSERT INTO delta.`" + uri + "` VALUES ('n0000', NULL, array(1000, 1001), 'run')");
                spark.sql("DELETE FROM delta.`" + uri + "` WHERE block_id IN ('b0001', 'b0450')");
                TableFiles files = TableFiles.resolve(spark, uri, null);
                assertEquals(bySplit, files.columns().splitPartition(), properties);
                TableIndex index = TableIndex.count(files, spark.sparkContext().hadoopConfiguration());
                if (!bySplit) {
                    flat = index;
                    continue;
                }
                Set<String> values = new HashSet<>();
                for (DataFile f : files.files()) {
                    assertTrue(f.partitionValues().containsKey(files.columns().split()), f.path() + ": " + f.partitionValues());
                    values.add(f.partitionValues().get(files.columns().split()));
                }
                assertEquals(new HashSet<>(Arrays.asList("train", "validation", null)), values, properties);
                if (properties.contains("columnMapping")) {
                    assertNotEquals(LmBlocks.SPLIT, files.columns().split(), "the log keys partition values by physical name");
                }
                assertTrue(files.files().size() >= 6, "a file per split from each of the 3 writing tasks: " + files.files().size());
                Map<Integer, List<Integer>> train = rows(index, index.train(), "train");
                assertEquals(719, train.size(), properties);
                assertEquals(rows(flat, flat.train(), "train"), train, properties);
                Map<Integer, List<Integer>> validation = rows(index, index.validation(), "validation");
                assertEquals(179, validation.size(), properties);
                assertEquals(rows(flat, flat.validation(), "validation"), validation, properties);
                assertEquals(flat.maxId(), index.maxId(), "the null split's tokens (1000, 1001) are in neither split");
            }
        }
    }

    @Test
    void aSplitThatIsNotAStringIsRefused() throws Exception {
        SparkSession spark = LocalSpark.session();
        String uri = Files.createTempDirectory("zs-table-files").resolve("int_split").toUri().toString();
        spark.sql("CREATE TABLE delta.`" + uri + "` (block_id STRING, split INT, input_ids ARRAY<INT>, run_id STRING) "
                + "USING delta PARTITIONED BY (split)");
        ConfigException e = assertThrows(ConfigException.class, () -> TableFiles.resolve(spark, uri, null));
        assertEquals("train.data", e.keyPath());
        assertTrue(e.getMessage().contains(uri) && e.getMessage().contains("column split is int, not string"), e.getMessage());
    }

    /** The token rows the ranks read from {@code units}, by block number (token 0). */
    private static Map<Integer, List<Integer>> rows(TableIndex index, List<TableIndex.Unit> units, String split)
            throws Exception {
        Map<Integer, List<Integer>> out = new TreeMap<>();
        Configuration conf = LocalSpark.session().sparkContext().hadoopConfiguration();
        for (int u = 0; u < units.size(); u++) {
            for (int[] ids : index.read(split, u, conf).ids()) {
                assertNull(out.put(ids[0], Arrays.stream(ids).boxed().toList()), "block " + ids[0] + " read twice");
            }
        }
        return out;
    }

    @Test
    void mappedColumnNamesAreRead() throws Exception {
        SparkSession spark = LocalSpark.session();
        String uri = LmBlocksFixture.table(spark, "'delta.columnMapping.mode' = 'name', 'delta.enableDeletionVectors' = 'true'");
        spark.sql("DELETE FROM delta.`" + uri + "` WHERE block_id = 'b0003'");
        TableFiles files = TableFiles.resolve(spark, uri, null);
        assertNotEquals(LmBlocks.INPUT_IDS, files.columns().inputIds(), "physical names differ under column mapping");
        assertNotEquals(LmBlocks.SPLIT, files.columns().split());
        TableIndex index = TableIndex.count(files, spark.sparkContext().hadoopConfiguration());
        Set<Integer> train = readAll(index, index.train(), "train");
        assertEquals(sparkBlocks(spark, uri, files.version(), "train"), train);
        assertEquals(719, train.size());
    }
}
