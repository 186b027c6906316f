package dev.zerospark.data.ingest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Records of one file read as the consumer asks for them, so that a file of any size holds one record in memory
 * at a time. An I/O error surfaces unchecked (iterators cannot throw), naming the file.
 */
abstract class RecordStream implements Iterator<RawRecord> {
    private final String file;
    private RawRecord next;
    private boolean done;

    RecordStream(String file) {
        this.file = file;
    }

    /** The next record, or null at the end of the file. */
    abstract RawRecord read() throws IOException;

    @Override
    public boolean hasNext() {
        if (next == null && !done) {
            try {
                next = read();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read input file " + file, e);
            }
            done = next == null;
        }
        return next != null;
    }

    @Override
    public RawRecord next() {
        if (!hasNext()) throw new NoSuchElementException("no more records in " + file);
        RawRecord r = next;
        next = null;
        return r;
    }
}
