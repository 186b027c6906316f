package dev.zerospark.zero;

/** fp16 gradients overflow even at the minimum loss scale: training cannot continue (DeepSpeed stops too). */
public final class LossScaleUnderflowException extends RuntimeException {
    public LossScaleUnderflowException(String message) {
        super(message);
    }
}
