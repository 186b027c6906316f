package dev.zerospark.data.generate.internal;

import dev.zerospark.openai.ApiKey;
import dev.zerospark.openai.ClientSettings;
import dev.zerospark.openai.OpenAiClient;
import org.apache.spark.SparkEnv;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link OpenAiClient} per executor JVM, shared by its tasks, so its concurrency and rate limits hold for the
 * whole executor. Keyed by the settings and where the key comes from; other settings replace (and close) it. The key
 * is read here, on the executor, from its environment or its Spark conf: it never travels inside a task.
 */
public final class ServiceClients {
    private static final Logger LOG = LoggerFactory.getLogger(ServiceClients.class);

    /** What a client is built from; holds the key's source, never the key. */
    public record Spec(ClientSettings settings, String apiKeyEnv, String apiKeyConf) implements java.io.Serializable {}

    private static Spec current;
    private static OpenAiClient client;
    private static int created;

    private ServiceClients() {}

    public static synchronized OpenAiClient get(Spec spec) {
        if (client != null && spec.equals(current)) return client;
        if (client != null) client.close();
        client = null;
        current = null;
        ApiKey key = key(spec);
        client = OpenAiClient.create(spec.settings(), key);
        current = spec;
        created++;
        LOG.info("service client for {} model {} (key from {})", spec.settings().endpoint(), spec.settings().model(),
                spec.apiKeyEnv() != null ? "environment variable " + spec.apiKeyEnv() : spec.apiKeyConf() != null ? "Spark conf " + spec.apiKeyConf() : "nowhere: no auth");
        return client;
    }

    /** Clients created in this JVM so far (tests: one per executor). */
    public static synchronized int created() {
        return created;
    }

    private static ApiKey key(Spec spec) {
        if (spec.apiKeyEnv() != null) return ApiKey.fromEnv(spec.apiKeyEnv());
        if (spec.apiKeyConf() == null) return null;
        SparkEnv env = SparkEnv.get();
        scala.Option<String> v = env == null ? scala.Option.empty() : env.conf().getOption(spec.apiKeyConf());
        if (v.isEmpty() || v.get().isBlank()) {
            throw new IllegalStateException("Spark conf entry " + spec.apiKeyConf() + " holding the API key is not set on this executor");
        }
        return ApiKey.of(v.get());
    }
}
