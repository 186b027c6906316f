package dev.zerospark.data.ingest;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A packed task opens its files one at a time and closes each when its records run out. */
class SplitRecordsTest {
    @Test
    void opensOneSplitAtATimeAndClosesEachWhenItsRecordsRunOut() {
        List<InputSplit> splits = new ArrayList<>();
        for (int i = 0; i < 300; i++) splits.add(new InputSplit("f" + i, 0, 10, 10));
        AtomicInteger open = new AtomicInteger();
        AtomicInteger mostOpen = new AtomicInteger();
        AtomicInteger closed = new AtomicInteger();
        SplitRecords recs = new SplitRecords(splits, split -> {
            mostOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
            int n = Integer.parseInt(split.path().substring(1)) % 3; // 0, 1 or 2 records: an empty file is skipped over
            List<RawRecord> list = new ArrayList<>();
            for (int i = 0; i < n; i++) list.add(new RawRecord(split.path(), i));
            return new SplitRecords.Opened(list.iterator(), () -> {
                open.decrementAndGet();
                closed.incrementAndGet();
            });
        });
        List<String> read = new ArrayList<>();
        while (recs.hasNext()) {
            RawRecord r = recs.next();
            read.add(r.sourceFile + ":" + r.sourceOffset);
        }
        assertEquals(300, read.size()); // 100 files each of 0, 1 and 2 records
        assertEquals("f1:0", read.get(0));
        assertEquals("f2:1", read.get(2));
        assertEquals(1, mostOpen.get(), "one file open at a time");
        assertEquals(300, closed.get(), "every file closed");
        recs.close(); // idempotent at the end
        assertEquals(300, closed.get());

        // A task that ends early closes the file it is in.
        SplitRecords early = new SplitRecords(splits, split -> new SplitRecords.Opened(List.of(new RawRecord(split.path(), 0)).iterator(), closed::incrementAndGet));
        early.next();
        early.close();
        assertEquals(301, closed.get());
    }
}
