package dev.zerospark.template;

import dev.zerospark.template.internal.TemplateFile;
import dev.zerospark.template.internal.TextTemplate;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The built-in templates, and lookup by id or template file. A template file is YAML with {@code id},
 * {@code text}, {@code stop} and optionally {@code max_article_tokens}; this core reads local files (a path or a
 * {@code file:} URI) only, since Hadoop file systems live in the Spark modules: a caller there reads the file's
 * text itself and hands it to {@link #parse}.
 */
public final class PromptTemplates {
    /** The fine-tuned format of {@code sft_pairs}: the prompt a riddle model is trained and asked with. */
    public static final PromptTemplate RIDDLE = new TextTemplate("riddle",
            "Write a short riddle that summarizes this news article.\n\nTitle: {title}\n\n{article}\n\nRiddle:",
            List.of("\n\n"), null);

    /**
     * Few-shot prompting of a base model, in the seed app's format: the examples (see {@link PromptTemplate}),
     * then the article and an open riddle line:
     * <pre>
     * [Article 1]: ...
     * [Summary Riddle 1]: ...
     * ###
     * [Article]: &lt;article&gt;
     * [Summary Riddle]:
     * </pre>
     * The completion stops where the model would start the next example.
     */
    public static final PromptTemplate FEW_SHOT = new TextTemplate("few-shot",
            "{examples}[Article]: {article}\n[Summary Riddle]:", List.of("###", "\n["), null);

    /** Zero-shot prompting of an instruction-following model. */
    public static final PromptTemplate INSTRUCT = new TextTemplate("instruct",
            "For the article below, summarize and create a riddle from the summary:\n\n[Article]: {article}\n\n[Summary Riddle]:",
            List.of("\n\n"), null);

    private static final Map<String, PromptTemplate> BUILTIN = Map.of(RIDDLE.id(), RIDDLE, FEW_SHOT.id(), FEW_SHOT, INSTRUCT.id(), INSTRUCT);

    private PromptTemplates() {}

    public static Optional<PromptTemplate> builtin(String id) {
        return Optional.ofNullable(BUILTIN.get(id));
    }

    /** A built-in id, or a template file (YAML): a local path or a {@code file:} URI. */
    public static PromptTemplate resolve(String idOrFile) {
        Optional<PromptTemplate> builtin = builtin(idOrFile);
        if (builtin.isPresent()) return builtin.get();
        Path file;
        if (idOrFile.startsWith("file:")) {
            file = Paths.get(URI.create(idOrFile));
        } else if (idOrFile.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
            throw PromptTemplateException.remote(idOrFile);
        } else {
            file = Paths.get(idOrFile);
        }
        if (!Files.isRegularFile(file)) throw PromptTemplateException.unknown(idOrFile, BUILTIN.keySet());
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8), idOrFile);
        } catch (IOException e) {
            throw PromptTemplateException.unreadable(idOrFile, e);
        }
    }

    /**
     * A template file's contents, read by the caller (from any file system).
     *
     * @param source the file's location, named in error messages
     */
    public static PromptTemplate parse(String yaml, String source) {
        return TemplateFile.parse(yaml, source, BUILTIN.keySet());
    }
}
