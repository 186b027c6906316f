package dev.zerospark.data.ingest;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.config.PrepareConfig;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Parsers for whole files read as bytes: JSONL (one object per line), CSV (RFC 4180 with a header row) and
 * plain text (one article per file). UTF-8 is checked per record on the raw bytes before decoding, so one bad
 * line quarantines that line only. Each record's parse is budgeted: at most {@code max_record_bytes} of it is
 * parsed, in one linear pass, and JSON nesting stops at Jackson's default limit (1000 levels), which quarantines
 * the record as malformed instead of recursing a megabyte deep.
 */
public final class LineParsers implements Serializable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String id;
    private final String title;
    private final String body;
    private final String published;
    private final String url;
    private final String target;
    private final int maxRecordBytes;
    private final int prefixChars;

    public LineParsers(PrepareConfig.Fields f, int maxRecordBytes, int prefixChars) {
        this.id = f.id();
        this.title = f.title();
        this.body = f.body();
        this.published = f.published();
        this.url = f.url();
        this.target = f.target();
        this.maxRecordBytes = maxRecordBytes;
        this.prefixChars = prefixChars;
    }

    /** The JSON objects of the lines a split owns; a record's offset is the byte offset of its line. */
    List<RawRecord> jsonl(String file, LineRange.Lines lines) {
        List<RawRecord> out = new ArrayList<>(lines.count());
        byte[] bytes = lines.bytes();
        for (int i = 0; i < lines.count(); i++) {
            int start = lines.starts()[i];
            int end = lines.ends()[i];
            int stop = end > start && bytes[end - 1] == '\r' ? end - 1 : end;
            long offset = lines.firstByteOffset() + start;
            if (lines.truncated()[i]) {
                out.add(RawRecord.rejected(file, offset, Reasons.TOO_LONG, "line > max_record_bytes " + maxRecordBytes,
                        Utf8.prefix(bytes, start, stop, prefixChars)));
            } else if (!isBlank(bytes, start, stop)) {
                out.add(jsonLine(file, offset, bytes, start, stop));
            }
        }
        return out;
    }

    /**
     * One JSON object, streamed from the line's bytes: only the configured fields are kept (the rest is skipped
     * unparsed) and no tree is built. Same values as reading the line as a tree: a string field is its text, any
     * other non-null value is the tree's text (numbers as Jackson prints them, objects and arrays as JSON), and a
     * repeated key keeps its last value. As with a tree read, anything after the object is ignored.
     */
    private RawRecord jsonLine(String file, long offset, byte[] bytes, int from, int to) {
        RawRecord guard = guard(file, offset, bytes, from, to);
        if (guard != null) return guard;
        String prefix = Utf8.prefix(bytes, from, to, prefixChars);
        try (JsonParser p = JSON.getFactory().createParser(bytes, from, to - from)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return RawRecord.rejected(file, offset, Reasons.MALFORMED_JSON, "line is not a JSON object", prefix);
            }
            RawRecord r = new RawRecord(file, offset);
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                if (!name.equals(id) && !name.equals(title) && !name.equals(body) && !name.equals(published)
                        && !name.equals(url) && !name.equals(target)) {
                    p.skipChildren();
                    continue;
                }
                String v = value(p);
                if (name.equals(id)) r.id = v;
                if (name.equals(title)) r.title = v;
                if (name.equals(body)) r.body = v;
                if (name.equals(published)) r.published = v;
                if (name.equals(url)) r.url = v;
                if (name.equals(target)) r.target = v;
            }
            if (t != JsonToken.END_OBJECT) throw new JsonParseException(p, "expected a field name or the end of the object, got " + t);
            r.rawPrefix = prefix;
            return r;
        } catch (IOException e) {
            return RawRecord.rejected(file, offset, Reasons.MALFORMED_JSON, firstLine(e.getMessage()), prefix);
        }
    }

    /** The current value as text (consumed): a string's own text, null for null, else the JSON tree's text. */
    private static String value(JsonParser p) throws IOException {
        return switch (p.currentToken()) {
            case VALUE_STRING -> p.getText();
            case VALUE_NULL -> null;
            default -> {
                JsonNode v = p.readValueAsTree();
                yield v.isValueNode() ? v.asText() : v.toString();
            }
        };
    }

    /** Size and UTF-8 checks shared by all byte-level formats; null when the record may be parsed. */
    private RawRecord guard(String file, long offset, byte[] bytes, int from, int to) {
        if (to - from > maxRecordBytes) {
            return RawRecord.rejected(file, offset, Reasons.TOO_LONG,
                    (to - from) + " bytes > max_record_bytes " + maxRecordBytes, Utf8.prefix(bytes, from, to, prefixChars));
        }
        if (!Utf8.isValid(bytes, from, to)) {
            return RawRecord.rejected(file, offset, Reasons.INVALID_UTF8, "invalid UTF-8 byte sequence",
                    Utf8.prefix(bytes, from, to, prefixChars));
        }
        return null;
    }

    /**
     * A text file as one article. Only {@code max_record_bytes + 1} bytes are read from the stream: a longer file is
     * over the cap whatever follows, so it is quarantined without reading it whole.
     */
    public List<RawRecord> text(String file, InputStream in) throws IOException {
        byte[] bytes = in.readNBytes(maxRecordBytes + 1);
        if (bytes.length > maxRecordBytes) {
            return List.of(RawRecord.rejected(file, 0, Reasons.TOO_LONG, "file > max_record_bytes " + maxRecordBytes,
                    Utf8.prefix(bytes, 0, bytes.length, prefixChars)));
        }
        RawRecord guard = guard(file, 0, bytes, 0, bytes.length);
        if (guard != null) return List.of(guard);
        String text = Utf8.decodeStrict(bytes, 0, bytes.length);
        RawRecord r = new RawRecord(file, 0);
        String name = file.substring(file.lastIndexOf('/') + 1);
        r.id = name.endsWith(".txt") ? name.substring(0, name.length() - 4) : name;
        // First non-empty line is the headline when a blank line follows it (the usual news text layout).
        String[] parts = text.strip().split("\\R\\s*\\R", 2);
        if (parts.length == 2 && !parts[0].contains("\n") && parts[0].length() <= 200) {
            r.title = parts[0].strip();
            r.body = parts[1];
        } else {
            r.body = text;
        }
        r.rawPrefix = Utf8.prefix(text, prefixChars);
        return List.of(r);
    }

    /**
     * The records of a CSV file with a header row, parsed from the stream as they are asked for, one record at a time
     * ({@link CsvRecords}): a record over the cap is quarantined from its first bytes, and one with broken quoting is
     * quarantined alone. An unparseable header ends the file there.
     */
    public Iterator<RawRecord> csv(String file, InputStream in) {
        CsvRecords records = new CsvRecords(in, maxRecordBytes);
        return new RecordStream(file) {
            private List<String> header;
            private boolean stopped;

            @Override
            RawRecord read() throws IOException {
                while (!stopped && records.next()) {
                    if (records.blank()) continue;
                    RawRecord r = csvRecord(file, records, header);
                    if (r == null) { // the header row
                        header = csvCells(Utf8.decodeStrict(records.bytes(), 0, records.keptLength()));
                        continue;
                    }
                    if (header == null && Reasons.MALFORMED_CSV.equals(r.reason)) stopped = true;
                    return r;
                }
                return null;
            }
        };
    }

    /** One CSV record: an article, a quarantined record, or null when it is the (valid) header row. */
    private RawRecord csvRecord(String file, CsvRecords records, List<String> header) {
        long recordLine = records.line();
        byte[] bytes = records.bytes();
        int stop = records.keptLength();
        if (records.length() > maxRecordBytes) {
            return RawRecord.rejected(file, recordLine, Reasons.TOO_LONG,
                    records.length() + " bytes > max_record_bytes " + maxRecordBytes, Utf8.prefix(bytes, 0, stop, prefixChars));
        }
        RawRecord guard = guard(file, recordLine, bytes, 0, stop);
        if (guard != null) return guard;
        String text = Utf8.decodeStrict(bytes, 0, stop);
        List<String> cells = csvCells(text);
        if (header == null) {
            return cells == null ? RawRecord.rejected(file, recordLine, Reasons.MALFORMED_CSV, "unparseable header row", Utf8.prefix(text, prefixChars)) : null;
        }
        if (cells == null || cells.size() != header.size()) {
            String why = cells == null ? "bad quoting" : cells.size() + " fields, header has " + header.size();
            return RawRecord.rejected(file, recordLine, Reasons.MALFORMED_CSV, why, Utf8.prefix(text, prefixChars));
        }
        RawRecord r = new RawRecord(file, recordLine);
        r.id = cell(header, cells, id);
        r.title = cell(header, cells, title);
        r.body = cell(header, cells, body);
        r.published = cell(header, cells, published);
        r.url = cell(header, cells, url);
        r.target = cell(header, cells, target);
        r.rawPrefix = Utf8.prefix(text, prefixChars);
        return r;
    }

    /** RFC 4180 fields of one record, or null when its quoting is broken. */
    static List<String> csvCells(String s) {
        List<String> cells = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int i = 0;
        while (true) {
            if (i < s.length() && s.charAt(i) == '"') {
                i++;
                while (true) {
                    if (i >= s.length()) return null; // unterminated quote
                    char c = s.charAt(i);
                    if (c == '"') {
                        if (i + 1 < s.length() && s.charAt(i + 1) == '"') {
                            cur.append('"');
                            i += 2;
                        } else {
                            i++;
                            break;
                        }
                    } else {
                        cur.append(c);
                        i++;
                    }
                }
                if (i < s.length() && s.charAt(i) != ',') return null; // text after a closing quote
            } else {
                while (i < s.length() && s.charAt(i) != ',') {
                    if (s.charAt(i) == '"') return null; // stray quote in an unquoted field
                    cur.append(s.charAt(i++));
                }
            }
            cells.add(cur.toString());
            cur.setLength(0);
            if (i >= s.length()) return cells;
            i++; // the comma
        }
    }

    private static String cell(List<String> header, List<String> cells, String name) {
        int i = header.indexOf(name);
        if (i < 0) return null;
        String v = cells.get(i);
        return v.isEmpty() ? null : v;
    }

    private static boolean isBlank(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r') return false;
        return true;
    }

    static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
