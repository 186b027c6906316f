package dev.zerospark.data.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * The records of a CSV byte stream, one at a time, each kept in memory only up to the record byte cap: a longer
 * record is scanned to its end but not stored, so a file of any size (and a record of any size in it) costs at most
 * one capped record of memory. A record ends at a newline outside a quoted field. A quote opens a quoted field only
 * at the start of a field (RFC 4180); a stray quote inside an unquoted field is plain data here, so the record
 * still ends at its newline and the cell parser quarantines just that record, instead of the quote swallowing the
 * rest of the file as an open quoted field.
 */
final class CsvRecords {
    private enum State { FIELD_START, UNQUOTED, QUOTED, QUOTE_IN_QUOTED }

    private final InputStream in;
    private final int keepBytes;
    private final byte[] buf = new byte[1 << 16];
    private int pos;
    private int lim;
    private boolean eof;

    private byte[] bytes = new byte[8192];
    private int kept;
    private long length;
    private boolean blank;
    private boolean endsWithCr;
    private long line = 1;
    private long recordLine;

    /** @param maxRecordBytes the cap: the first {@code maxRecordBytes + 1} bytes of a record are kept, enough to tell it is over */
    CsvRecords(InputStream in, int maxRecordBytes) {
        this.in = in;
        this.keepBytes = maxRecordBytes + 1;
    }

    /** Reads the next record; false at the end of the stream. */
    boolean next() throws IOException {
        if (!fill()) return false;
        kept = 0;
        length = 0;
        blank = true;
        endsWithCr = false;
        recordLine = line;
        State state = State.FIELD_START;
        while (fill()) {
            byte c = buf[pos++];
            if (state == State.QUOTED) {
                if (c == '"') state = State.QUOTE_IN_QUOTED;
            } else if (state == State.QUOTE_IN_QUOTED && c == '"') {
                state = State.QUOTED; // a doubled quote inside a quoted field
            } else if (c == '\n') {
                line++;
                return true;
            } else if (c == ',') {
                state = State.FIELD_START;
            } else {
                state = c == '"' && state == State.FIELD_START ? State.QUOTED : State.UNQUOTED;
            }
            if (c == '\n') line++; // a newline inside a quoted field
            keep(c);
        }
        return true;
    }

    private void keep(byte c) {
        length++;
        endsWithCr = c == '\r';
        if (c != ' ' && c != '\t' && c != '\r') blank = false;
        if (kept == keepBytes) return;
        if (kept == bytes.length) bytes = Arrays.copyOf(bytes, (int) Math.min(keepBytes, 2L * bytes.length));
        bytes[kept++] = c;
    }

    private boolean fill() throws IOException {
        if (pos < lim) return true;
        if (eof) return false;
        lim = in.readNBytes(buf, 0, buf.length);
        pos = 0;
        eof = lim < buf.length;
        return lim > 0;
    }

    /** The record's first bytes: all of it when it is within the cap, without a final carriage return. */
    byte[] bytes() {
        return bytes;
    }

    /** How many of {@link #bytes()} hold the record (or its kept start). */
    int keptLength() {
        return kept < length ? kept : (int) (endsWithCr ? length - 1 : length);
    }

    /** The record's full length in bytes, without the newline and a final carriage return. */
    long length() {
        return endsWithCr ? length - 1 : length;
    }

    /** Whether the record is only spaces, tabs and carriage returns (or empty). */
    boolean blank() {
        return blank;
    }

    /** The 1-based line the record starts on. */
    long line() {
        return recordLine;
    }
}
