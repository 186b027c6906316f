package dev.zerospark.training.data;

import java.io.Serializable;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * One Parquet file of a pinned Delta table version, as the driver hands it to the ranks: all a rank needs to read its
 * rows without asking Delta again.
 *
 * @param path            absolute URI of the file
 * @param size            bytes, from the Delta log
 * @param records         physical rows in the file (Delta's {@code numRecords} stat), or -1 when the log has no stats
 * @param partitionValues the file's partition values as the Delta log writes them: strings keyed by the column's
 *                        physical name (the logical name unless the table maps columns), null for a null value
 * @param deletionVector  Delta's deletion vector descriptor of the file in its base64 form, or null when no row of
 *                        the file is deleted
 */
public record DataFile(String path, long size, long records, Map<String, String> partitionValues, String deletionVector)
        implements Serializable {

    public DataFile {
        // Not Map.copyOf: a null partition value (a row whose partition column is null) is a value Delta logs.
        partitionValues = Collections.unmodifiableMap(new HashMap<>(partitionValues));
    }
}
