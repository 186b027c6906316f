package dev.zerospark.data.generate.internal;

import dev.zerospark.generate.BatchGenerator;
import dev.zerospark.generate.FinishReason;
import dev.zerospark.generate.TextCompleter;
import dev.zerospark.template.ExampleChooser;
import dev.zerospark.template.PromptTemplate;
import dev.zerospark.template.PromptTemplateException;
import dev.zerospark.template.RenderedPrompt;
import dev.zerospark.template.TemplateInput;
import dev.zerospark.tokenizer.HfTokenizer;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.TaskKilledException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One task's articles → results: renders each prompt within the token budget, generates for all rendered prompts at
 * once, and turns every failure into its row's error instead of the task's: an empty text, a prompt that cannot fit,
 * and a generation that throws (the rows are then retried one by one, and a row that throws alone is the one in error).
 */
public final class RowGenerator {
    private static final Logger LOG = LoggerFactory.getLogger(RowGenerator.class);

    /** Runs prompts through the model; one output per row, in order. */
    public interface BatchRunner {
        List<BatchGenerator.Output> run(List<BatchGenerator.Row> rows);
    }

    public record Article(String id, String title, String text, String contentHash) {}

    /**
     * A row of the generations table, less the run-wide columns, and how many few-shot examples its prompt left out
     * to fit (counted by the job, not stored).
     */
    public record Result(Article article, String prompt, int promptTokens, boolean truncated, String completion,
                         int completionTokens, String finishReason, String error, int examplesDropped) {
        public static Result error(Article a, String prompt, int promptTokens, boolean truncated, String message) {
            return new Result(a, prompt, promptTokens, truncated, null, 0, ERROR, message, 0);
        }
    }

    public static final String EOS = "eos";
    public static final String STOP = "stop";
    public static final String LENGTH = "length";
    public static final String ERROR = "error";

    private final PromptTemplate template;
    private final HfTokenizer tokenizer;
    private final int maxPromptTokens;
    private final long seed;
    private final List<String> stop;
    private final BatchRunner runner;
    private final ExampleChooser examples;
    private final int shots;

    public RowGenerator(PromptTemplate template, HfTokenizer tokenizer, int maxPromptTokens, long seed, List<String> stop, BatchRunner runner) {
        this(template, tokenizer, maxPromptTokens, seed, stop, runner, null, 0);
    }

    /** @param examples the few-shot candidates; null = none. Each article gets {@code shots} of them, never itself. */
    public RowGenerator(PromptTemplate template, HfTokenizer tokenizer, int maxPromptTokens, long seed, List<String> stop, BatchRunner runner,
                        ExampleChooser examples, int shots) {
        this.examples = examples;
        this.shots = shots;
        this.template = template;
        this.tokenizer = tokenizer;
        this.maxPromptTokens = maxPromptTokens;
        this.seed = seed;
        this.stop = List.copyOf(stop);
        this.runner = runner;
    }

    public List<Result> generate(List<Article> articles, String textColumn) {
        Result[] out = new Result[articles.size()];
        List<Integer> todo = new ArrayList<>();
        List<RenderedPrompt> rendered = new ArrayList<>();
        List<BatchGenerator.Row> rows = new ArrayList<>();
        for (int i = 0; i < articles.size(); i++) {
            Article a = articles.get(i);
            if (a.text() == null || a.text().isBlank()) {
                out[i] = Result.error(a, null, 0, false, "article " + a.id() + " has " + (a.text() == null ? "a null" : "an empty")
                        + " text (column " + textColumn + "): nothing to generate from");
                continue;
            }
            RenderedPrompt p;
            try {
                p = template.render(input(a, examples, shots, seed), tokenizer, maxPromptTokens);
            } catch (PromptTemplateException e) {
                out[i] = Result.error(a, null, 0, false, e.getMessage());
                continue;
            }
            todo.add(i);
            rendered.add(p);
            rows.add(new BatchGenerator.Row(p.tokenIds(), BatchGenerator.rowSeed(seed, a.id())));
        }
        List<BatchGenerator.Output> outputs = null;
        if (!rows.isEmpty()) {
            try {
                outputs = runner.run(rows);
            } catch (RuntimeException e) {
                rethrowIfCancelled(e);
                LOG.warn("a batch of {} rows failed ({}); generating its rows one at a time", rows.size(), e.toString());
            }
        }
        for (int k = 0; k < todo.size(); k++) {
            int i = todo.get(k);
            Article a = articles.get(i);
            RenderedPrompt p = rendered.get(k);
            BatchGenerator.Output o;
            if (outputs != null) {
                o = outputs.get(k);
            } else {
                try {
                    o = runner.run(List.of(rows.get(k))).get(0);
                } catch (RuntimeException e) {
                    rethrowIfCancelled(e);
                    LOG.warn("article {} failed alone: {}", a.id(), e.toString());
                    out[i] = new Result(a, p.text(), p.tokenIds().length, p.truncated(), null, 0, ERROR, "generation failed: " + e, p.examplesDropped());
                    continue;
                }
            }
            String text = tokenizer.decode(o.tokens(), true);
            if (o.reason() == FinishReason.STOP_STRING) text = TextCompleter.cutAtStop(text, stop);
            out[i] = new Result(a, p.text(), p.tokenIds().length, p.truncated(), text, o.tokens().length, reason(o.reason()), null,
                    p.examplesDropped());
        }
        return List.of(out);
    }

    /** The template's input for {@code a}: its examples drawn by ({@code seed}, article id), none when there is no chooser. */
    public static TemplateInput input(Article a, ExampleChooser examples, int shots, long seed) {
        if (examples == null) return TemplateInput.of(a.title(), a.text());
        return new TemplateInput(a.title(), a.text(), examples.choose(a.id(), shots, seed));
    }

    /** A killed task (speculation, a cancelled job) must die, not record the kill as the row's error. */
    private static void rethrowIfCancelled(RuntimeException e) {
        if (e instanceof TaskKilledException || Thread.currentThread().isInterrupted()) throw e;
    }

    static String reason(FinishReason r) {
        return switch (r) {
            case EOS -> EOS;
            case STOP_STRING -> STOP;
            case MAX_NEW_TOKENS -> LENGTH;
        };
    }
}
