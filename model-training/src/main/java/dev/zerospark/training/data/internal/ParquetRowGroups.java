package dev.zerospark.training.data.internal;

import dev.zerospark.training.data.DataFile;
import dev.zerospark.training.data.Rows;
import dev.zerospark.training.data.TableFiles;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;
import org.apache.spark.sql.delta.actions.DeletionVectorDescriptor$;
import org.apache.spark.sql.delta.deletionvectors.RoaringBitmapArray;
import org.apache.spark.sql.delta.storage.dv.DeletionVectorStore$;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The rank side of streaming training data: one Parquet file of the table, read row group by row group with Parquet's
 * own reader, only the columns training needs, skipping the rows the file's deletion vector deletes. In a table
 * partitioned by the split, every row of a file has the split of the file's partition value (Delta writes no
 * partition column into the files).
 */
public final class ParquetRowGroups implements Closeable {
    private final DataFile file;
    private final TableFiles.Columns columns;
    private final ParquetFileReader reader;
    private final MessageType projection;
    private final long[] firstRow;
    private final RoaringBitmapArray deleted;
    /** The split of every row when the table is partitioned by it (null: a null partition value), else unused. */
    private final String partitionSplit;

    private ParquetRowGroups(DataFile file, TableFiles.Columns columns, ParquetFileReader reader, MessageType projection,
                             long[] firstRow, RoaringBitmapArray deleted, String partitionSplit) {
        this.file = file;
        this.columns = columns;
        this.reader = reader;
        this.projection = projection;
        this.firstRow = firstRow;
        this.deleted = deleted;
        this.partitionSplit = partitionSplit;
    }

    /**
     * Opens {@code file} of {@code table} to read its split, token ids and (sft_pairs) loss mask columns.
     */
    public static ParquetRowGroups open(TableFiles table, DataFile file, Configuration conf) throws IOException {
        TableFiles.Columns columns = table.columns();
        String partitionSplit = columns.splitPartition() ? partitionValue(table, file, columns.split()) : null;
        RoaringBitmapArray deleted = file.deletionVector() == null ? null
                : DeletionVectorStore$.MODULE$.createInstance(conf).read(
                        DeletionVectorDescriptor$.MODULE$.deserializeFromBase64(file.deletionVector()), new Path(table.tablePath()));
        ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(new Path(file.path()), conf));
        try {
            MessageType schema = reader.getFooter().getFileMetaData().getSchema();
            List<Type> fields = new ArrayList<>();
            if (!columns.splitPartition()) fields.add(field(schema, columns.split(), file));
            fields.add(field(schema, columns.inputIds(), file));
            if (columns.lossMask() != null) fields.add(field(schema, columns.lossMask(), file));
            MessageType projection = new MessageType(schema.getName(), fields);
            reader.setRequestedSchema(projection);
            List<BlockMetaData> groups = reader.getRowGroups();
            long[] firstRow = new long[groups.size()];
            for (int g = 1; g < groups.size(); g++) firstRow[g] = firstRow[g - 1] + groups.get(g - 1).getRowCount();
            return new ParquetRowGroups(file, columns, reader, projection, firstRow, deleted, partitionSplit);
        } catch (RuntimeException e) {
            reader.close();
            throw e;
        }
    }

    /** The file's value of partition column {@code name} (physical, as the log keys it); null is a value. */
    private static String partitionValue(TableFiles table, DataFile file, String name) {
        if (!file.partitionValues().containsKey(name)) {
            throw new IllegalStateException("the Delta log of table " + table.uri() + " (version " + table.version()
                    + ") gives file " + file.path() + " no value of its partition column " + name
                    + " (its partition values: " + file.partitionValues() + ")");
        }
        return file.partitionValues().get(name);
    }

    private static Type field(MessageType schema, String name, DataFile file) {
        if (!schema.containsField(name)) {
            throw new IllegalStateException("Parquet file " + file.path() + " has no column " + name
                    + " (its columns: " + schema.getFields().stream().map(Type::getName).toList() + ")");
        }
        return schema.getType(name);
    }

    public int rowGroups() {
        return firstRow.length;
    }

    /**
     * What the driver needs to know of the file without its rows: the live rows of each of {@code splits} in each
     * row group, and the range of row lengths and token ids over them (checked against the config and the model).
     */
    public FileSummary summarize(List<String> splits) throws IOException {
        long[][] counts = new long[splits.size()][rowGroups()];
        int splitField = columns.splitPartition() ? -1 : projection.getFieldIndex(columns.split());
        int idsField = projection.getFieldIndex(columns.inputIds());
        int minLength = Integer.MAX_VALUE;
        int maxLength = -1;
        int minId = Integer.MAX_VALUE;
        int maxId = Integer.MIN_VALUE;
        String minIdAt = null;
        String maxIdAt = null;
        for (int g = 0; g < rowGroups(); g++) {
            PageReadStore pages = reader.readRowGroup(g);
            RecordReader<Group> records = recordReader(pages);
            for (long i = 0; i < pages.getRowCount(); i++) {
                Group row = records.read();
                String split = isLive(g, i) ? splitOf(row, splitField) : null;
                int s = split == null ? -1 : splits.indexOf(split); // a null split is in no split (List.of refuses null)
                if (s < 0) continue;
                counts[s][g]++;
                int[] ids = ints(row, idsField, g, i);
                minLength = Math.min(minLength, ids.length);
                maxLength = Math.max(maxLength, ids.length);
                for (int t = 0; t < ids.length; t++) {
                    if (ids[t] < minId) {
                        minId = ids[t];
                        minIdAt = where(splits.get(s), g, i, t);
                    }
                    if (ids[t] > maxId) {
                        maxId = ids[t];
                        maxIdAt = where(splits.get(s), g, i, t);
                    }
                }
            }
        }
        return new FileSummary(counts, minLength, maxLength, minId, maxId, minIdAt, maxIdAt);
    }

    private String where(String split, int g, long i, int position) {
        return "split " + split + " file " + file.path() + " row " + (firstRow[g] + i) + " position " + position;
    }

    /**
     * One file's live rows per split and row group ({@code counts[split][group]}), and its row lengths and token ids
     * (max length -1 when it has no live row), and where its smallest and largest token ids are.
     */
    public record FileSummary(long[][] counts, int minLength, int maxLength, int minId, int maxId, String minIdAt,
                              String maxIdAt) implements java.io.Serializable {}

    /** The live rows with {@code split} of row group {@code g}, in file order. */
    public Rows read(int g, String split) throws IOException {
        int splitField = columns.splitPartition() ? -1 : projection.getFieldIndex(columns.split());
        int idsField = projection.getFieldIndex(columns.inputIds());
        int maskField = columns.lossMask() == null ? -1 : projection.getFieldIndex(columns.lossMask());
        PageReadStore pages = reader.readRowGroup(g);
        RecordReader<Group> records = recordReader(pages);
        List<int[]> ids = new ArrayList<>();
        List<float[]> masks = maskField < 0 ? null : new ArrayList<>();
        for (long i = 0; i < pages.getRowCount(); i++) {
            Group row = records.read();
            if (!isLive(g, i) || !split.equals(splitOf(row, splitField))) continue;
            ids.add(ints(row, idsField, g, i));
            if (masks != null) masks.add(floats(row, maskField, g, i));
        }
        return new Rows(ids.toArray(new int[0][]), masks == null ? null : masks.toArray(new float[0][]));
    }

    private RecordReader<Group> recordReader(PageReadStore pages) {
        return new ColumnIOFactory().getColumnIO(projection).getRecordReader(pages, new GroupRecordConverter(projection));
    }

    private boolean isLive(int g, long i) {
        return deleted == null || !deleted.contains(firstRow[g] + i);
    }

    /** The row's split: its column's value, or the file's partition value when {@code field} is -1. */
    private String splitOf(Group row, int field) {
        if (field < 0) return partitionSplit;
        return row.getFieldRepetitionCount(field) == 0 ? null : row.getString(field, 0);
    }

    private int[] ints(Group row, int field, int g, long i) {
        Group list = list(row, field, g, i);
        int n = list.getFieldRepetitionCount(0);
        int[] out = new int[n];
        boolean threeLevel = !list.getType().getType(0).isPrimitive();
        for (int j = 0; j < n; j++) out[j] = threeLevel ? list.getGroup(0, j).getInteger(0, 0) : list.getInteger(0, j);
        return out;
    }

    private float[] floats(Group row, int field, int g, long i) {
        Group list = list(row, field, g, i);
        int n = list.getFieldRepetitionCount(0);
        float[] out = new float[n];
        boolean threeLevel = !list.getType().getType(0).isPrimitive();
        for (int j = 0; j < n; j++) out[j] = threeLevel ? list.getGroup(0, j).getInteger(0, 0) : list.getInteger(0, j);
        return out;
    }

    /** The list group of an array column; a null array is bad data, named by file and row. */
    private Group list(Group row, int field, int g, long i) {
        if (row.getFieldRepetitionCount(field) == 0) {
            throw new IllegalStateException("Parquet file " + file.path() + " row " + (firstRow[g] + i) + ": column "
                    + projection.getFieldName(field) + " is null");
        }
        return row.getGroup(field, 0);
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
