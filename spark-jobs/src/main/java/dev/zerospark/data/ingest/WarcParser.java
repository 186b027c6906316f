package dev.zerospark.data.ingest;

import dev.zerospark.data.clean.HtmlText;
import org.jsoup.Jsoup;
import org.netpreserve.jwarc.HttpResponse;
import org.netpreserve.jwarc.MediaType;
import org.netpreserve.jwarc.WarcReader;
import org.netpreserve.jwarc.WarcRecord;
import org.netpreserve.jwarc.WarcResponse;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.charset.Charset;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * WARC files (plain or gzipped) to article records: each HTTP response record is one input record, its HTML
 * reduced to the main content by {@link HtmlText}. Other record types (warcinfo, request, metadata, ...) are not
 * articles: each becomes a {@link Reasons#NOT_AN_ARTICLE} record with its WARC-Type as detail, which the job counts
 * (as {@code skipped}) and writes nowhere. A parse error quarantines the rest of the file at its offset, because
 * WARC has no resynchronisation marker to skip to. The file is read as a stream, record by record, and of each
 * HTTP body only {@code max_record_bytes + 1} bytes are read (jwarc skips the rest), so a file of any size costs one
 * capped record of memory.
 */
public final class WarcParser implements Serializable {
    private final int maxRecordBytes;
    private final int prefixChars;

    public WarcParser(int maxRecordBytes, int prefixChars) {
        this.maxRecordBytes = maxRecordBytes;
        this.prefixChars = prefixChars;
    }

    /** The file's raw bytes from an offset on, for the quarantine prefix of a record that cannot be parsed. */
    public interface PrefixAt {
        String at(long offset) throws IOException;
    }

    /**
     * The file's records, parsed from the stream as they are asked for.
     *
     * @param prefixAt reads the file's raw prefix at an offset (a positioned read: the stream is not moved)
     */
    public Iterator<RawRecord> parse(String file, InputStream in, PrefixAt prefixAt) throws IOException {
        WarcReader reader;
        try {
            reader = new WarcReader(in);
        } catch (IOException e) { // not even a WARC (or gzip) header
            return List.of(RawRecord.rejected(file, 0, Reasons.MALFORMED_WARC, LineParsers.firstLine(e.getMessage()), prefixAt.at(0))).iterator();
        }
        return new RecordStream(file) {
            private long offset;
            private boolean stopped;

            @Override
            RawRecord read() throws IOException {
                if (stopped) return null;
                Optional<WarcRecord> next;
                try {
                    next = reader.next();
                } catch (IOException | RuntimeException e) { // no marker to resynchronise on: the rest of the file is one bad record
                    stopped = true;
                    long at = Math.max(offset, reader.position());
                    return RawRecord.rejected(file, at, Reasons.MALFORMED_WARC, LineParsers.firstLine(e.getMessage()), prefixAt.at(at));
                }
                if (next.isEmpty()) return null;
                offset = reader.position();
                if (next.get() instanceof WarcResponse resp) return response(file, offset, resp, prefixAt);
                return RawRecord.rejected(file, offset, Reasons.NOT_AN_ARTICLE, next.get().type(), null);
            }
        };
    }

    private RawRecord response(String file, long offset, WarcResponse resp, PrefixAt prefixAt) throws IOException {
        try {
            HttpResponse http = resp.http();
            MediaType type = http.contentType();
            byte[] body;
            try (InputStream in = http.body().stream()) {
                body = in.readNBytes(maxRecordBytes + 1);
            }
            String prefix = Utf8.prefix(body, 0, body.length, prefixChars);
            if (body.length > maxRecordBytes) {
                return RawRecord.rejected(file, offset, Reasons.TOO_LONG, "HTTP body > max_record_bytes " + maxRecordBytes, prefix);
            }
            if (!"html".equals(type.subtype()) && !"xhtml+xml".equals(type.subtype())) {
                return RawRecord.rejected(file, offset, Reasons.NOT_HTML, "content type " + type, prefix);
            }
            String charset = type.parameters().getOrDefault("charset", "utf-8");
            if (charset.equalsIgnoreCase("utf-8") || charset.equalsIgnoreCase("utf8")) {
                if (Utf8.decodeStrict(body, 0, body.length) == null) {
                    return RawRecord.rejected(file, offset, Reasons.INVALID_UTF8, "invalid UTF-8 in HTTP body", prefix);
                }
            } else if (!Charset.isSupported(charset)) {
                return RawRecord.rejected(file, offset, Reasons.MALFORMED_WARC, "unknown charset " + charset, prefix);
            }
            var doc = Jsoup.parse(new ByteArrayInputStream(body), charset, resp.target());
            HtmlText.Extracted ex = HtmlText.extract(doc);
            RawRecord r = new RawRecord(file, offset);
            r.id = resp.target();
            r.url = resp.target();
            r.title = ex.title();
            r.body = ex.text();
            r.published = ex.published() != null ? ex.published() : resp.date().toString();
            r.rawPrefix = prefix;
            return r;
        } catch (IOException | RuntimeException e) {
            return RawRecord.rejected(file, offset, Reasons.MALFORMED_WARC, LineParsers.firstLine(String.valueOf(e.getMessage())), prefixAt.at(offset));
        }
    }
}
