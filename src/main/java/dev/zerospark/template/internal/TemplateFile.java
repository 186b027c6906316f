package dev.zerospark.template.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.zerospark.template.PromptTemplate;
import dev.zerospark.template.PromptTemplateException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Reads a template file (YAML): {@code id}, {@code text} (with {@code {article}}, and optionally {@code {title}}
 * and {@code {examples}}), {@code stop} (a list of strings, may be empty) and optionally
 * {@code max_article_tokens}. Every error names the file and the field.
 */
public final class TemplateFile {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final Set<String> FIELDS = Set.of("id", "text", "stop", "max_article_tokens");

    private TemplateFile() {}

    /**
     * Parses one template document.
     *
     * @param source names the file in error messages
     * @param reserved ids a file may not take (the built-ins': a file's rows would otherwise share their key)
     */
    public static PromptTemplate parse(String yaml, String source, Set<String> reserved) {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (IOException e) {
            throw PromptTemplateException.unreadable(source, e);
        }
        if (root == null || !root.isObject()) {
            throw PromptTemplateException.invalid("file " + source, "must be a mapping with id, text and stop, got "
                    + (root == null || root.isMissingNode() ? "an empty document" : describe(root)));
        }
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) throw PromptTemplateException.badField(source, name, "is not a template field (id, text, stop, max_article_tokens)");
        }
        String id = string(root, "id", source);
        if (id.isBlank()) throw PromptTemplateException.badField(source, "id", "must not be empty");
        if (reserved.contains(id)) throw PromptTemplateException.badField(source, "id", "'" + id + "' is a built-in template's id; choose another");
        String text = string(root, "text", source);
        if (!text.contains("{article}")) throw PromptTemplateException.badField(source, "text", "must contain {article}");
        JsonNode stop = required(root, "stop", source);
        if (!stop.isArray()) throw PromptTemplateException.badField(source, "stop", "must be a list of strings, got " + describe(stop));
        List<String> stops = new ArrayList<>();
        for (int i = 0; i < stop.size(); i++) {
            JsonNode s = stop.get(i);
            if (!s.isTextual() || s.asText().isEmpty()) {
                throw PromptTemplateException.badField(source, "stop", "item " + i + " must be a non-empty string, got " + describe(s));
            }
            stops.add(s.asText());
        }
        Integer maxArticleTokens = null;
        JsonNode max = root.get("max_article_tokens");
        if (max != null && !max.isNull()) {
            if (!max.isIntegralNumber() || !max.canConvertToInt() || max.asInt() <= 0) {
                throw PromptTemplateException.badField(source, "max_article_tokens", "must be a positive integer, got " + describe(max));
            }
            maxArticleTokens = max.asInt();
        }
        return new TextTemplate(id, text, stops, maxArticleTokens);
    }

    private static JsonNode required(JsonNode root, String field, String source) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) throw PromptTemplateException.badField(source, field, "is missing");
        return n;
    }

    private static String string(JsonNode root, String field, String source) {
        JsonNode n = required(root, field, source);
        if (!n.isTextual()) throw PromptTemplateException.badField(source, field, "must be a string, got " + describe(n));
        return n.asText();
    }

    private static String describe(JsonNode n) {
        JsonNodeType t = n.getNodeType();
        return switch (t) {
            case ARRAY -> "a list";
            case OBJECT -> "a mapping";
            case NUMBER -> "the number " + n.asText();
            case BOOLEAN -> "the boolean " + n.asText();
            case STRING -> "the string '" + n.asText() + "'";
            default -> t.name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
