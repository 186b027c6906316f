package dev.zerospark.pipeline;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Map;
import java.util.TreeMap;

/**
 * One model's scores on an {@link EvalSet}: metric name → value. Names are {@link #PERPLEXITY} (mean next-token
 * perplexity, exp of the mean token NLL; lower is better), {@link #ROUGE_L} (mean ROUGE-L F1 of generated against
 * reference riddles; higher is better) and whatever else an evaluator adds.
 */
public record EvalResult(Map<String, Double> metrics) {
    public static final String PERPLEXITY = "perplexity";
    public static final String ROUGE_L = "rouge_l";

    public EvalResult {
        metrics = Map.copyOf(metrics);
    }

    /** Both results' metrics; {@code other}'s win on a clash. */
    public EvalResult merge(EvalResult other) {
        Map<String, Double> m = new TreeMap<>(metrics);
        m.putAll(other.metrics);
        return new EvalResult(m);
    }

    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        new TreeMap<>(metrics).forEach(o::put);
        return o;
    }
}
