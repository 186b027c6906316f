package dev.zerospark.data.generate;

import dev.zerospark.config.UsageError;

/** The model's tokenizer yields ids the model has no embedding for: refused on the driver, before any task. */
public final class VocabularyMismatchException extends RuntimeException implements UsageError {
    public VocabularyMismatchException(String model, int modelVocab, int tokenizerVocab) {
        super("model " + model + " has a vocabulary of " + modelVocab + " tokens (config.json vocab_size) but its tokenizer.json has "
                + tokenizerVocab + ": ids past " + (modelVocab - 1) + " have no embedding; export the model with the tokenizer it was trained with");
    }
}
