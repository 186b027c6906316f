package dev.zerospark.data.dedup;

import java.util.Locale;

/** {@code dedup.local_max_records} asks the driver to hold more dedup keys than its heap can take. */
public final class DriverHeapException extends IllegalArgumentException {
    private DriverHeapException(String message) {
        super(message);
    }

    static DriverHeapException localMaxRecords(long records, long bytesPerRecord, long maxHeap, double fraction) {
        return new DriverHeapException(String.format(Locale.ROOT,
                "dedup.local_max_records %d needs about %s of driver heap (%d bytes a record) but the driver's max heap is %s"
                        + " and driver dedup may use %.0f%% of it (%s): lower dedup.local_max_records (0 = always Spark jobs)"
                        + " or give the driver more heap (spark.driver.memory)",
                records, size(records * bytesPerRecord), bytesPerRecord, size(maxHeap), fraction * 100, size((long) (maxHeap * fraction))));
    }

    private static String size(long bytes) {
        return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30))
                : String.format(Locale.ROOT, "%.0f MiB", bytes / (double) (1L << 20));
    }
}
