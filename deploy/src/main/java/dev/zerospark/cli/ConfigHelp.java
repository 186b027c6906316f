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

    /**
     * The doc, its real default appended where the doc does not state one (ConfigKeysTest checks the stated ones),
     * and the key. picocli formats descriptions with String.format, so a literal % is doubled.
     */
    static String text(ConfigDocs.Key key) {
        String doc = key.doc();
        if (key.defaultValue() != null && !doc.contains("default")) doc += " (default " + key.defaultValue() + ")";
        return (doc + " [" + key.path() + "]").replace("%", "%%");
    }
}
