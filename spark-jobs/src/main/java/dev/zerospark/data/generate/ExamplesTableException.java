package dev.zerospark.data.generate;

import dev.zerospark.config.UsageError;
import java.util.List;

/** The few-shot examples table ({@code --examples}) cannot serve as one; the message names the table. */
public final class ExamplesTableException extends RuntimeException implements UsageError {
    private ExamplesTableException(String message) {
        super(message);
    }

    public static ExamplesTableException columns(String table, List<String> columns) {
        return new ExamplesTableException("examples table " + table + " is neither sft_pairs (article_id, response) nor articles with a target"
                + " (article_id, text, target); its columns are " + columns);
    }

    public static ExamplesTableException tooMany(String table, long version, long candidates, int max) {
        return new ExamplesTableException("examples table " + table + " (version " + version + ") has " + candidates
                + " example candidates, more than the " + max + " the driver ships to every task (generate.max_examples):"
                + " pass a smaller table, or raise max_examples");
    }

    public static ExamplesTableException none(String table, long version) {
        return new ExamplesTableException("examples table " + table + " (version " + version + ") has no example candidates"
                + " (rows with an article id, an article text and a riddle)");
    }

    public static ExamplesTableException missing(String template) {
        return new ExamplesTableException("template " + template + " shows few-shot examples ({examples}): pass --examples <sft_pairs table>");
    }

    public static ExamplesTableException unused(String template, String table) {
        return new ExamplesTableException("--examples " + table + " was given but template " + template
                + " has no {examples} placeholder: use --template few-shot or drop --examples");
    }
}
