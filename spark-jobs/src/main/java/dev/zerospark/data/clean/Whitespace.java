package dev.zerospark.data.clean;

/**
 * Whitespace runs collapsed to one space, without regexes: shared by the cleaner ({@code [\s\u00A0]+}) and the
 * content hash's normal form ({@code \s+}). Text is copied in whole runs between the spaces that change, and a
 * text whose spaces are already single plain spaces is returned as it is.
 */
public final class Whitespace {
    private Whitespace() {}

    /** Java regex {@code \s}: ASCII whitespace only. */
    public static boolean isRegexSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
    }

    /**
     * {@code s[from, to)} with every run of {@code \s} (and of U+00A0 too when {@code nbsp}) replaced by one space.
     */
    public static String collapse(String s, int from, int to, boolean nbsp) {
        StringBuilder sb = null;
        int copied = from; // s[copied, i) is still to be copied verbatim
        for (int i = from; i < to; ) {
            if (!isSpace(s.charAt(i), nbsp)) {
                i++;
                continue;
            }
            int j = i + 1;
            while (j < to && isSpace(s.charAt(j), nbsp)) j++;
            if (s.charAt(i) != ' ' || j > i + 1) { // a run other than one plain space becomes one
                if (sb == null) sb = new StringBuilder(to - from);
                sb.append(s, copied, i).append(' ');
                copied = j;
            }
            i = j;
        }
        return sb == null ? s.substring(from, to) : sb.append(s, copied, to).toString();
    }

    private static boolean isSpace(char c, boolean nbsp) {
        return isRegexSpace(c) || (nbsp && c == '\u00A0');
    }
}
