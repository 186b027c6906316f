package dev.zerospark.data;

import dev.zerospark.config.UsageError;

/**
 * {@code prepare} into an output whose {@code sft_pairs} prompts were rendered with another template (id or text):
 * one table would hold two prompt formats, and a model trained on it would be asked in only one of them. Raised
 * on the driver before any work.
 */
public final class TemplateMismatchException extends RuntimeException implements UsageError {
    public TemplateMismatchException(String table, String recordedId, String recordedSha256, String givenId, String givenSha256) {
        super("table " + table + " holds prompts of template '" + recordedId + "' (text sha256 " + recordedSha256
                + "), but prepare.sft.template is '" + givenId + "' (text sha256 " + givenSha256 + "); use the table's template or another --output");
    }
}
