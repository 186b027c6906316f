package dev.zerospark.template;

import dev.zerospark.template.internal.TextTemplate;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The built-in templates, and lookup by id or template file. */
public final class PromptTemplates {
    /** The fine-tuned format of {@code sft_pairs}: the prompt a riddle model is trained and asked with. */
    public static final PromptTemplate RIDDLE = new TextTemplate("riddle",
            "Write a short riddle that summarizes this news article.\n\nTitle: {title}\n\n{article}\n\nRiddle:",
            List.of("\n\n"), null);

    private static final Map<String, PromptTemplate> BUILTIN = Map.of(RIDDLE.id(), RIDDLE);

    private PromptTemplates() {}

    public static Optional<PromptTemplate> builtin(String id) {
        return Optional.ofNullable(BUILTIN.get(id));
    }

    /** A built-in id, or a template file (YAML) path or URI. */
    public static PromptTemplate resolve(String idOrFile) {
        return builtin(idOrFile).orElseThrow(() -> PromptTemplateException.unknown(idOrFile, BUILTIN.keySet()));
    }
}
