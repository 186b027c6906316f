package dev.zerospark.data.ingest;

import org.junit.jupiter.api.Test;
import org.netpreserve.jwarc.HttpResponse;
import org.netpreserve.jwarc.MediaType;
import org.netpreserve.jwarc.WarcResponse;
import org.netpreserve.jwarc.WarcWriter;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Iterator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** WARC files are parsed from the stream a record at a time: the parser never reads far ahead of the record it returns. */
class WarcParserTest {
    /** Counts what was read from it and refuses any single read of more than {@code maxRead} bytes. */
    private static final class BoundedReads extends FilterInputStream {
        final int maxRead;
        long consumed;

        BoundedReads(InputStream in, int maxRead) {
            super(in);
            this.maxRead = maxRead;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) consumed++;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len > maxRead) throw new IOException("a read of " + len + " bytes: more than one buffer at once");
            int n = super.read(b, off, len);
            if (n > 0) consumed += n;
            return n;
        }

        @Override
        public byte[] readAllBytes() throws IOException {
            throw new IOException("the whole file read at once");
        }
    }

    @Test
    void aWarcLargerThanTheParsersBufferIsParsedRecordByRecord() throws Exception {
        int records = 200;
        int bodyBytes = 100_000;
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        try (WarcWriter w = new WarcWriter(Channels.newChannel(file))) {
            for (int i = 0; i < records; i++) {
                String html = "<html><head><title>Page " + i + "</title></head><body><article><p>"
                        + ("word" + i + " ").repeat(bodyBytes / 8) + "</p></article></body></html>";
                w.write(new WarcResponse.Builder(URI.create("https://news.example/p" + i)).date(Instant.parse("2024-05-01T10:00:00Z"))
                        .body(new HttpResponse.Builder(200, "OK").body(MediaType.parse("text/html; charset=utf-8"), html.getBytes(StandardCharsets.UTF_8)).build())
                        .build());
            }
        }
        byte[] bytes = file.toByteArray();
        assertTrue(bytes.length > 15_000_000, "an 18 MB file: " + bytes.length);
        BoundedReads in = new BoundedReads(new ByteArrayInputStream(bytes), 64 << 10);
        Iterator<RawRecord> it = new WarcParser(1_000_000, 100).parse("crawl.warc", in, at -> "");
        int n = 0;
        long lastOffset = -1;
        while (it.hasNext()) {
            RawRecord r = it.next();
            assertNull(r.reason, r.detail);
            assertEquals("https://news.example/p" + n, r.url);
            assertTrue(r.sourceOffset > lastOffset);
            lastOffset = r.sourceOffset;
            // What was read from the stream so far: up to the end of this record and at most a buffer beyond it.
            long recordEnd = n + 1 < records ? (long) (bytes.length / (double) records * (n + 1)) : bytes.length;
            assertTrue(in.consumed <= recordEnd + 2 * bodyBytes, "record " + n + ": " + in.consumed + " bytes read from the stream already");
            n++;
        }
        assertEquals(records, n);
        assertEquals(bytes.length, in.consumed);
    }
}
