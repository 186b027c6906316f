package dev.zerospark.generate;

/** Why a row stopped generating. */
public enum FinishReason {
    EOS, STOP_STRING, MAX_NEW_TOKENS
}
