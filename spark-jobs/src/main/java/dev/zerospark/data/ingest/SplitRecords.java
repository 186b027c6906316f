package dev.zerospark.data.ingest;

import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The records of one task's {@link InputSplit#pack packed} splits, one split after another. A split is opened
 * when its turn comes and closed as soon as its records run out, so a task of hundreds of small files holds one
 * open stream at a time; {@link #close} closes the current one when the task ends early (failure or a limit).
 */
final class SplitRecords implements Iterator<RawRecord>, AutoCloseable {
    /** Opens one split: its records, and the stream to close after them (null when they are already in memory). */
    interface Opener {
        Opened open(InputSplit split) throws IOException;
    }

    record Opened(Iterator<RawRecord> records, Closeable stream) {}

    private final Iterator<InputSplit> splits;
    private final Opener opener;
    private InputSplit split;
    private Opened current;

    SplitRecords(List<InputSplit> splits, Opener opener) {
        this.splits = splits.iterator();
        this.opener = opener;
    }

    @Override
    public boolean hasNext() {
        while (current == null || !current.records().hasNext()) {
            close();
            if (!splits.hasNext()) return false;
            split = splits.next();
            try {
                current = opener.open(split);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read input file " + split.path(), e);
            }
        }
        return true;
    }

    @Override
    public RawRecord next() {
        if (!hasNext()) throw new NoSuchElementException("no more records in this task's input splits");
        return current.records().next();
    }

    /** Closes the current split's stream, if one is open. */
    @Override
    public void close() {
        Opened done = current;
        current = null;
        if (done == null || done.stream() == null) return;
        try {
            done.stream().close();
        } catch (IOException e) { // every record of it was read, or the task is ending anyway: a failed close must not fail it
            LoggerFactory.getLogger(SplitRecords.class).warn("cannot close input file {}", split.path(), e);
        }
    }
}
