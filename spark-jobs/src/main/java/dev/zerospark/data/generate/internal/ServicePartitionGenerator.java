package dev.zerospark.data.generate.internal;

import dev.zerospark.openai.CompletionResult;
import dev.zerospark.openai.OpenAiClient;
import dev.zerospark.openai.OpenAiException;
import dev.zerospark.openai.RequestOptions;
import dev.zerospark.template.ExampleChooser;
import dev.zerospark.template.PromptTemplate;
import dev.zerospark.template.PromptTemplates;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;

/**
 * The task side of the service pipeline: renders each article's prompt with the template, sends it through the
 * executor's shared client ({@link ServiceClients}) and returns one generations row per article. A request that
 * fails (a 4xx, retries exhausted, a malformed answer) is that row's error; the message is the client's, which
 * never holds the key.
 *
 * <p>There is no tokenizer for a service's model here, so prompts are not cut to a token budget: the template is
 * filled whole ({@link PromptTemplate#fill}), {@code truncated} is false, and a prompt too long for the model is the
 * server's to refuse (a 400, so an error row). {@code prompt_tokens} and {@code completion_tokens} are the server's
 * {@code usage}, 0 when it reports none.
 */
public final class ServicePartitionGenerator implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    private final ServiceClients.Spec client;
    private final OpenAiClient.Api api;
    private final GenerationParams params;
    private final String textColumn;
    private final RunColumns columns;
    private final Broadcast<ExampleChooser> examples;
    private final int shots;

    public ServicePartitionGenerator(ServiceClients.Spec client, OpenAiClient.Api api, GenerationParams params, String textColumn,
                                     RunColumns columns, Broadcast<ExampleChooser> examples, int shots) {
        this.client = client;
        this.api = api;
        this.params = params;
        this.textColumn = textColumn;
        this.columns = columns;
        this.examples = examples;
        this.shots = shots;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) throws Exception {
        List<RowGenerator.Article> articles = new ArrayList<>();
        while (input.hasNext()) {
            Row r = input.next();
            articles.add(new RowGenerator.Article(r.getAs(PartitionGenerator.ID), r.getAs(PartitionGenerator.TITLE),
                    r.getAs(PartitionGenerator.TEXT), r.getAs(PartitionGenerator.HASH)));
        }
        if (articles.isEmpty()) return List.<Row>of().iterator();
        OpenAiClient c = ServiceClients.get(client);
        PromptTemplate t = PromptTemplates.resolve(params.template());
        RequestOptions request = new RequestOptions(params.maxNewTokens(), params.temperature(), params.topP(), params.stop(), params.seed());
        ExampleChooser chooser = examples == null ? null : examples.value();
        // The client bounds requests in flight per executor; this pool only keeps that many of this task's waiting.
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(articles.size(), client.settings().maxConcurrency()));
        List<RowGenerator.Result> results = new ArrayList<>(articles.size());
        try {
            List<Future<RowGenerator.Result>> futures = new ArrayList<>(articles.size());
            for (RowGenerator.Article a : articles) futures.add(pool.submit(() -> one(c, t, request, chooser, a)));
            for (Future<RowGenerator.Result> f : futures) results.add(join(f));
        } finally {
            pool.shutdownNow();
        }
        Timestamp now = new Timestamp(System.currentTimeMillis());
        List<Row> out = new ArrayList<>(results.size());
        for (RowGenerator.Result r : results) out.add(columns.row(r, now));
        return out.iterator();
    }

    private RowGenerator.Result one(OpenAiClient c, PromptTemplate t, RequestOptions request, ExampleChooser chooser, RowGenerator.Article a)
            throws InterruptedException {
        if (a.text() == null || a.text().isBlank()) {
            return RowGenerator.Result.error(a, null, 0, false, "article " + a.id() + " has " + (a.text() == null ? "a null" : "an empty")
                    + " text (column " + textColumn + "): nothing to generate from");
        }
        String prompt = t.fill(RowGenerator.input(a, chooser, shots, columns.seed()));
        CompletionResult r;
        try {
            r = c.send(api, prompt, request);
        } catch (OpenAiException e) {
            return RowGenerator.Result.error(a, prompt, 0, false, e.getMessage());
        }
        int promptTokens = r.promptTokens() == null ? 0 : r.promptTokens();
        int completionTokens = r.completionTokens() == null ? 0 : r.completionTokens();
        String reason = finishReason(r.finishReason());
        if (reason == null) {
            return new RowGenerator.Result(a, prompt, promptTokens, false, r.text(), completionTokens, RowGenerator.ERROR,
                    "the service finished with finish_reason " + r.finishReason(), 0);
        }
        return new RowGenerator.Result(a, prompt, promptTokens, false, r.text(), completionTokens, reason, null, 0);
    }

    /**
     * OpenAI's finish_reason as the table's: {@code length} stays, {@code stop} (an EOS or a stop string: the API does
     * not tell them apart) and none at all become {@code stop}; anything else ({@code content_filter}, ...) is null,
     * an error row.
     */
    static String finishReason(String service) {
        if (service == null || service.equals("stop")) return RowGenerator.STOP;
        if (service.equals("length")) return RowGenerator.LENGTH;
        if (service.equals("eos")) return RowGenerator.EOS;
        return null;
    }

    private static RowGenerator.Result join(Future<RowGenerator.Result> f) throws InterruptedException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            // one() turns every request failure into a row; what is left (a missing key, a bug) fails the task
            if (e.getCause() instanceof RuntimeException re) throw re;
            if (e.getCause() instanceof InterruptedException ie) throw ie;
            throw new IllegalStateException("a service request failed", e.getCause());
        }
    }
}
