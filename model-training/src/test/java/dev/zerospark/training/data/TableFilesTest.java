package dev.zerospark.training.data;

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
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
