package dev.zerospark.eval.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * rouge-score's {@code tokenize.tokenize(text, stemmer)}: lower-case the text, treat every character outside
 * {@code [a-z0-9]} as a separator, and (with a stemmer) stem the tokens longer than 3 characters. Non-ASCII letters
 * are separators too, so "café" gives "caf"; Java's root-locale lower-casing maps the same code points to ASCII as
 * Python's {@code str.lower()} (e.g. U+0130 to "i" plus a combining dot, U+212A KELVIN SIGN to "k").
 */
public final class RougeTokenizer {
    private final PorterStemmer stemmer;

    /** @param stemmer the stemmer for tokens longer than 3 characters, or null for none */
    public RougeTokenizer(PorterStemmer stemmer) {
        this.stemmer = stemmer;
    }

    public List<String> tokenize(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        List<String> tokens = new ArrayList<>();
        int start = -1;
        for (int i = 0; i <= lower.length(); i++) {
            boolean alnum = i < lower.length() && isAsciiAlnum(lower.charAt(i));
            if (alnum && start < 0) {
                start = i;
            } else if (!alnum && start >= 0) {
                String t = lower.substring(start, i);
                tokens.add(stemmer != null && t.length() > 3 ? stemmer.stem(t) : t);
                start = -1;
            }
        }
        return tokens;
    }

    /**
     * rougeLsum's sentences: the tokens of each non-empty piece of {@code text.split("\n")}. Only {@code \n} splits;
     * a piece that yields no tokens (only punctuation) is still a sentence, as in rouge-score.
     */
    public List<List<String>> tokenizeLines(String text) {
        List<List<String>> lines = new ArrayList<>();
        for (String piece : text.split("\n", -1)) {
            if (!piece.isEmpty()) lines.add(tokenize(piece));
        }
        return lines;
    }

    private static boolean isAsciiAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    }
}
