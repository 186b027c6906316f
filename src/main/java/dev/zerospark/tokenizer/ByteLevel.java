package dev.zerospark.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2 byte-level pre-tokenization, as HF's {@code ByteLevel} pre-tokenizer with {@code use_regex=true}: split
 * text with GPT-2's regex, then map every UTF-8 byte to a printable character, so any text (emoji, control
 * characters, invalid surrogates aside) becomes a string over a 256-symbol alphabet and round-trips exactly.
 */
public final class ByteLevel {
    private ByteLevel() {}

    /** GPT-2's split pattern; {@code \s+(?!\S)} leaves one space to attach to the next word, like HF. */
    private static final Pattern SPLIT = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private static final char[] BYTE_TO_CHAR = buildByteToChar();

    /** GPT-2's {@code bytes_to_unicode}: printable latin-1 bytes map to themselves, the rest to U+0100 onward. */
    private static char[] buildByteToChar() {
        char[] map = new char[256];
        boolean[] direct = new boolean[256];
        for (int b = '!'; b <= '~'; b++) direct[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) direct[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) direct[b] = true;
        int next = 256;
        for (int b = 0; b < 256; b++) map[b] = direct[b] ? (char) b : (char) next++;
        return map;
    }

    /** The 256 symbols of the byte alphabet, sorted by code point (HF's vocabulary order after special tokens). */
    public static List<String> alphabet() {
        char[] sorted = BYTE_TO_CHAR.clone();
        java.util.Arrays.sort(sorted);
        List<String> out = new ArrayList<>(256);
        for (char c : sorted) out.add(String.valueOf(c));
        return out;
    }

    /** The byte-level form of one pre-token: its UTF-8 bytes, each mapped to its alphabet symbol. */
    public static String toByteChars(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        return new String(out);
    }

    /** Splits text into byte-level pre-tokens (the "words" BPE merges never cross). */
    public static List<String> preTokenize(String text) {
        List<String> words = new ArrayList<>();
        Matcher m = SPLIT.matcher(text);
        while (m.find()) words.add(toByteChars(m.group()));
        return words;
    }
}
