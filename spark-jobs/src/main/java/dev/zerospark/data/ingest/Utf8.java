package dev.zerospark.data.ingest;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Strict UTF-8 decoding on raw bytes: invalid sequences are reported, never replaced with U+FFFD. */
public final class Utf8 {
    private Utf8() {}

    /** The decoded text, or null when the bytes are not valid UTF-8. */
    public static String decodeStrict(byte[] bytes, int from, int to) {
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            CharBuffer cb = dec.decode(ByteBuffer.wrap(bytes, from, to - from));
            return cb.toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** Whether the bytes are valid UTF-8; an all-ASCII run (the common case) is checked without a decoder. */
    public static boolean isValid(byte[] bytes, int from, int to) {
        int i = from;
        while (i < to && bytes[i] >= 0) i++;
        return i == to || decodeStrict(bytes, i, to) != null;
    }

    /** A lossy prefix for humans reading quarantine (invalid bytes shown as U+FFFD there, and only there). */
    public static String prefix(byte[] bytes, int from, int to, int maxChars) {
        int end = Math.min(to, from + maxChars * 4);
        String s = new String(bytes, from, end - from, StandardCharsets.UTF_8);
        return s.length() > maxChars ? s.substring(0, maxChars) : s;
    }

    public static String prefix(String s, int maxChars) {
        return s == null || s.length() <= maxChars ? s : s.substring(0, maxChars);
    }
}
