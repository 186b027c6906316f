package dev.zerospark.data.generate.internal;

import dev.zerospark.config.ConfigException;
import dev.zerospark.data.generate.GenerateOptions;
import dev.zerospark.data.generate.ServiceOptions;
import dev.zerospark.openai.ClientSettings;
import dev.zerospark.openai.OpenAiClient;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** The driver's side of the service pipeline: checks its options before any task and names what the rows record. */
public final class ServicePipeline {
    private ServicePipeline() {}

    /**
     * The executors' client spec, after checking the options: an endpoint and model, no top_k (the OpenAI API has
     * none), and a key conf entry that exists and that {@code spark.redaction.regex} covers, so that the Spark UI's
     * environment page and the event log show it redacted. The key itself is not read here.
     */
    public static ServiceClients.Spec check(SparkSession spark, GenerateOptions o) {
        ServiceOptions s = o.service();
        if (s.endpoint() == null) throw new ConfigException("generate.endpoint", "generate.endpoint is required by --pipeline service (--endpoint or the config file)");
        if (s.apiModel() == null) throw new ConfigException("generate.api_model", "generate.api_model is required by --pipeline service (--api-model or the config file)");
        if (o.topK() != 0) throw new ConfigException("generate.top_k", "--top-k " + o.topK() + " cannot be sent to a service: the OpenAI API has no top_k");
        URI endpoint;
        try {
            endpoint = new URI(s.endpoint());
        } catch (URISyntaxException e) {
            throw new ConfigException("generate.endpoint", "--endpoint " + s.endpoint() + " is not a URL: " + e.getReason(), e);
        }
        if (endpoint.getUserInfo() != null || endpoint.getQuery() != null) { // where a key could hide, and then show in every log line
            throw new ConfigException("generate.endpoint", "--endpoint must carry no user info (user:password@) and no query string;"
                    + " pass the key with --api-key-env or --api-key-conf");
        }
        ClientSettings settings;
        try {
            settings = ClientSettings.of(endpoint, s.apiModel()).withLimits(s.maxConcurrency(), s.requestsPerMinute());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("generate.endpoint", "--endpoint " + s.endpoint() + " / --api-model " + s.apiModel() + ": " + e.getMessage(), e);
        }
        if (s.apiKeyConf() != null) {
            SparkConf conf = spark.sparkContext().getConf();
            Pattern redaction = conf.get(org.apache.spark.internal.config.package$.MODULE$.SECRET_REDACTION_PATTERN()).pattern();
            if (!redaction.matcher(s.apiKeyConf()).find()) {
                throw new ConfigException("generate.api_key_conf", "Spark conf entry " + s.apiKeyConf() + " is not covered by spark.redaction.regex ("
                        + redaction.pattern() + "), so the Spark UI would show the key: name it with 'secret' or 'token' in it");
            }
            if (!conf.contains(s.apiKeyConf())) {
                throw new ConfigException("generate.api_key_conf", "Spark conf entry " + s.apiKeyConf() + " holding the API key is not set (spark-submit --conf)");
            }
        }
        return new ServiceClients.Spec(settings, s.apiKeyEnv(), s.apiKeyConf());
    }

    /**
     * {@code service:<host>/<api model>}: the endpoint's host only, never its user info, port or path, so the same
     * service reached through another port or gateway path (a proxy, a new deployment) keeps its rows.
     */
    public static String modelId(ServiceOptions s) {
        return "service:" + URI.create(s.endpoint()).getHost() + "/" + s.apiModel();
    }

    public static OpenAiClient.Api api(ServiceOptions s) {
        return "completions".equals(s.api()) ? OpenAiClient.Api.COMPLETIONS : OpenAiClient.Api.CHAT;
    }
}
