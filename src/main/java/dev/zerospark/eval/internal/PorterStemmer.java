package dev.zerospark.eval.internal;

import java.util.Map;
import java.util.function.Predicate;

/**
 * NLTK 3.8's {@code nltk.stem.porter.PorterStemmer} in its default {@code NLTK_EXTENSIONS} mode, ported rule for rule
 * so that ROUGE scores match Google's rouge-score, which stems with it. The extensions over the 1980 paper: a pool of
 * irregular forms (dying -> die), words of one or two letters left alone, -ies/-ied on four-letter words kept as
 * -ie, the y -> i rule only after a consonant, alli -> al retried through step 2, fulli -> ful, logi -> log, and the
 * two-letter vowel-consonant stem counting as cvc. Input is expected lower case, as rouge-score's tokenizer gives it.
 * Stateless and thread-safe.
 */
public final class PorterStemmer {
    /** NLTK's irregular_forms table, inverted as NLTK's {@code self.pool} is: form -> stem. */
    private static final Map<String, String> POOL = Map.ofEntries(
            Map.entry("sky", "sky"), Map.entry("skies", "sky"), Map.entry("dying", "die"), Map.entry("lying", "lie"),
            Map.entry("tying", "tie"), Map.entry("news", "news"), Map.entry("innings", "inning"), Map.entry("inning", "inning"),
            Map.entry("outings", "outing"), Map.entry("outing", "outing"), Map.entry("cannings", "canning"),
            Map.entry("canning", "canning"), Map.entry("howe", "howe"), Map.entry("proceed", "proceed"),
            Map.entry("exceed", "exceed"), Map.entry("succeed", "succeed"));

    /** One suffix rule of NLTK's {@code _apply_rule_list}: suffix, replacement, condition on the stem (null: none). */
    private record Rule(String suffix, String replacement, Predicate<String> condition) {}

    private static final Predicate<String> POSITIVE = s -> measure(s) > 0;
    private static final Predicate<String> GT1 = s -> measure(s) > 1;

    private static final Rule[] STEP1A = {
            new Rule("sses", "ss", null), new Rule("ies", "i", null), new Rule("ss", "ss", null), new Rule("s", "", null)};
    private static final Rule[] STEP1C = {new Rule("y", "i", s -> s.length() > 1 && isConsonant(s, s.length() - 1))};
    private static final Rule[] STEP2 = {
            new Rule("ational", "ate", POSITIVE), new Rule("tional", "tion", POSITIVE), new Rule("enci", "ence", POSITIVE),
            new Rule("anci", "ance", POSITIVE), new Rule("izer", "ize", POSITIVE), new Rule("bli", "ble", POSITIVE),
            new Rule("alli", "al", POSITIVE), new Rule("entli", "ent", POSITIVE), new Rule("eli", "e", POSITIVE),
            new Rule("ousli", "ous", POSITIVE), new Rule("ization", "ize", POSITIVE), new Rule("ation", "ate", POSITIVE),
            new Rule("ator", "ate", POSITIVE), new Rule("alism", "al", POSITIVE), new Rule("iveness", "ive", POSITIVE),
            new Rule("fulness", "ful", POSITIVE), new Rule("ousness", "ous", POSITIVE), new Rule("aliti", "al", POSITIVE),
            new Rule("iviti", "ive", POSITIVE), new Rule("biliti", "ble", POSITIVE), new Rule("fulli", "ful", POSITIVE),
            // NLTK keeps the 'l' of -logi with the stem for the measure, so short stems like geo- and theo- qualify.
            new Rule("logi", "log", s -> measure(s + "l") > 0)};
    private static final Rule[] STEP3 = {
            new Rule("icate", "ic", POSITIVE), new Rule("ative", "", POSITIVE), new Rule("alize", "al", POSITIVE),
            new Rule("iciti", "ic", POSITIVE), new Rule("ical", "ic", POSITIVE), new Rule("ful", "", POSITIVE),
            new Rule("ness", "", POSITIVE)};
    private static final Rule[] STEP4 = {
            new Rule("al", "", GT1), new Rule("ance", "", GT1), new Rule("ence", "", GT1), new Rule("er", "", GT1),
            new Rule("ic", "", GT1), new Rule("able", "", GT1), new Rule("ible", "", GT1), new Rule("ant", "", GT1),
            new Rule("ement", "", GT1), new Rule("ment", "", GT1), new Rule("ent", "", GT1),
            new Rule("ion", "", s -> measure(s) > 1 && (s.endsWith("s") || s.endsWith("t"))),
            new Rule("ou", "", GT1), new Rule("ism", "", GT1), new Rule("ate", "", GT1), new Rule("iti", "", GT1),
            new Rule("ous", "", GT1), new Rule("ive", "", GT1), new Rule("ize", "", GT1)};

    /** The stem of a lower-case word, as NLTK's {@code PorterStemmer().stem(word)} returns it. */
    public String stem(String word) {
        String pooled = POOL.get(word);
        if (pooled != null) return pooled;
        if (word.length() <= 2) return word;
        String s = step1a(word);
        s = step1b(s);
        s = applyRules(s, STEP1C);
        s = step2(s);
        s = applyRules(s, STEP3);
        s = applyRules(s, STEP4);
        s = step5a(s);
        return step5b(s);
    }

    static boolean isConsonant(String w, int i) {
        char c = w.charAt(i);
        if (c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u') return false;
        if (c == 'y') return i == 0 || !isConsonant(w, i - 1);
        return true;
    }

    /** Porter's m: the number of vowel-to-consonant transitions, i.e. "vc" pairs in the word's c/v pattern. */
    static int measure(String s) {
        int m = 0;
        for (int i = 0; i + 1 < s.length(); i++) {
            if (!isConsonant(s, i) && isConsonant(s, i + 1)) m++;
        }
        return m;
    }

    private static boolean containsVowel(String s) {
        for (int i = 0; i < s.length(); i++) if (!isConsonant(s, i)) return true;
        return false;
    }

    private static boolean endsDoubleConsonant(String w) {
        int n = w.length();
        return n >= 2 && w.charAt(n - 1) == w.charAt(n - 2) && isConsonant(w, n - 1);
    }

    /** Condition *o, with NLTK's extension that a two-letter vowel-consonant word also counts. */
    private static boolean endsCvc(String w) {
        int n = w.length();
        if (n >= 3 && isConsonant(w, n - 3) && !isConsonant(w, n - 2) && isConsonant(w, n - 1)) {
            char last = w.charAt(n - 1);
            if (last != 'w' && last != 'x' && last != 'y') return true;
        }
        return n == 2 && !isConsonant(w, 0) && isConsonant(w, 1);
    }

    /** The first rule whose suffix matches decides: its condition either holds (replace) or the word stays. */
    private static String applyRules(String word, Rule[] rules) {
        for (Rule r : rules) {
            if (word.endsWith(r.suffix)) {
                String stem = word.substring(0, word.length() - r.suffix.length());
                return r.condition == null || r.condition.test(stem) ? stem + r.replacement : word;
            }
        }
        return word;
    }

    private static String step1a(String w) {
        if (w.endsWith("ies") && w.length() == 4) return w.substring(0, 1) + "ie";
        return applyRules(w, STEP1A);
    }

    private static String step1b(String w) {
        if (w.endsWith("ied")) return w.length() == 4 ? w.substring(0, 1) + "ie" : w.substring(0, w.length() - 3) + "i";
        if (w.endsWith("eed")) {
            String stem = w.substring(0, w.length() - 3);
            return measure(stem) > 0 ? stem + "ee" : w;
        }
        String stem;
        if (w.endsWith("ed") && containsVowel(w.substring(0, w.length() - 2))) stem = w.substring(0, w.length() - 2);
        else if (w.endsWith("ing") && containsVowel(w.substring(0, w.length() - 3))) stem = w.substring(0, w.length() - 3);
        else return w;
        if (stem.endsWith("at") || stem.endsWith("bl") || stem.endsWith("iz")) return stem + "e";
        if (endsDoubleConsonant(stem)) {
            char last = stem.charAt(stem.length() - 1);
            return last != 'l' && last != 's' && last != 'z' ? stem.substring(0, stem.length() - 1) : stem;
        }
        return measure(stem) == 1 && endsCvc(stem) ? stem + "e" : stem;
    }

    private static String step2(String w) {
        // NLTK applies alli -> al before the rule list and runs the result through step 2 again.
        if (w.endsWith("alli") && measure(w.substring(0, w.length() - 4)) > 0) return step2(w.substring(0, w.length() - 2));
        return applyRules(w, STEP2);
    }

    /** NLTK tries both e-rules here, unlike the first-match rule lists. */
    private static String step5a(String w) {
        if (!w.endsWith("e")) return w;
        String stem = w.substring(0, w.length() - 1);
        int m = measure(stem);
        return m > 1 || (m == 1 && !endsCvc(stem)) ? stem : w;
    }

    private static String step5b(String w) {
        return w.endsWith("ll") && measure(w.substring(0, w.length() - 1)) > 1 ? w.substring(0, w.length() - 1) : w;
    }
}
