package dev.zerospark.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Map;

/**
 * What one {@link PrepareJob} run did. Every input record is exactly one of clean, quarantined, duplicate or
 * near-duplicate: {@code input == clean + quarantined + duplicates + nearDuplicates}. {@code clean} counts records
 * that are articles after this run, {@code newArticles} those of them this run added (0 on an identical rerun).
 * {@code blocks}, {@code tokens} and {@code sftPairs} count what this run added; {@code tokens} are the tokens of
 * the new articles' LM texts, EOS included, before packing drops each partition's short tail; {@code sftTruncated}
 * counts the added SFT pairs whose prompt had its article cut to leave the response room in {@code seq_len}. {@code skipped}
 * counts input records that are no article at all, by kind (WARC {@code warc_request}, {@code warc_warcinfo}, ...):
 * they are outside {@code input} and written nowhere. {@code dedupFallbacks} counts documents that dedup handled by
 * a fallback, by reason ({@code lsh_bucket_capped}: in an LSH bucket too large to compare pair by pair); each is
 * still exactly one of the four.
 */
public record PrepareResult(
        String runId,
        long input,
        long clean,
        long newArticles,
        long quarantined,
        long duplicates,
        long nearDuplicates,
        long blocks,
        long tokens,
        long sftPairs,
        long sftTruncated,
        Map<String, Long> quarantineReasons,
        Map<String, Long> skipped,
        Map<String, Long> dedupFallbacks,
        Map<String, Long> tableVersions) {

    public boolean reconciles() {
        return input == clean + quarantined + duplicates + nearDuplicates;
    }

    /** One JSON object (the CLI's last stdout line). */
    public String toJson() {
        ObjectMapper m = new ObjectMapper();
        ObjectNode n = m.createObjectNode();
        n.put("run_id", runId);
        n.put("input", input);
        n.put("clean", clean);
        n.put("new_articles", newArticles);
        n.put("quarantined", quarantined);
        n.put("duplicates", duplicates);
        n.put("near_duplicates", nearDuplicates);
        n.put("blocks", blocks);
        n.put("tokens", tokens);
        n.put("sft_pairs", sftPairs);
        n.put("sft_truncated", sftTruncated);
        n.set("quarantine_reasons", m.valueToTree(quarantineReasons));
        n.set("skipped", m.valueToTree(skipped));
        n.set("dedup_fallbacks", m.valueToTree(dedupFallbacks));
        n.set("table_versions", m.valueToTree(tableVersions));
        return n.toString();
    }
}
