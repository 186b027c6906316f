package dev.zerospark.cli;

import dev.zerospark.config.ConfigDocs;

import java.util.ListResourceBundle;

/**
 * Help text of the flags that set a config key ({@code descriptionKey = "train.steps"}): the key's doc from its record,
 * which states its default and unit or that it is required, and the key itself, so the file spelling is one look away.
 * Set on the root command line, picocli reads it for every subcommand.
 */
final class ConfigHelp extends ListResourceBundle {
    @Override
    protected Object[][] getContents() {
        return ConfigDocs.keys().values().stream()
                .map(k -> new Object[] {k.path(), text(k)})
                .toArray(Object[][]::new);
    }

    /** picocli formats descriptions with String.format, so a literal % is doubled. */
    static String text(ConfigDocs.Key key) {
        return (key.doc() + " [" + key.path() + "]").replace("%", "%%");
    }
}
