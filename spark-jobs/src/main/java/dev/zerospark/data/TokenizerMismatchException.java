package dev.zerospark.data;

import dev.zerospark.config.UsageError;

import dev.zerospark.tokenizer.TokenizerProvenance;

/**
 * {@code prepare} into an output whose table was tokenized with another tokenizer.json: a usage error (the wrong
 * {@code --output} or {@code --tokenizer}), raised on the driver before any work.
 */
public final class TokenizerMismatchException extends RuntimeException implements UsageError {
    private final String table;

    public TokenizerMismatchException(String table, TokenizerProvenance recorded, TokenizerProvenance given) {
        super("table " + table + " was tokenized with tokenizer.json " + recorded + ", but prepare.tokenizer is tokenizer.json "
                + given + "; use the table's tokenizer or another --output");
        this.table = table;
    }

    public String table() {
        return table;
    }
}
