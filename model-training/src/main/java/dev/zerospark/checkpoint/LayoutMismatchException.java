package dev.zerospark.checkpoint;

import java.util.Arrays;
import java.util.Collection;
import java.util.TreeSet;

/**
 * A checkpoint step's recorded layout does not fit the model being resumed: a parameter is missing on one side or
 * has another shape. The step may be intact; it is of another model. The message names the step and the parameter.
 */
public class LayoutMismatchException extends CheckpointException {
    LayoutMismatchException(String stepUri, String problem) {
        super("checkpoint " + stepUri + " does not fit the model: " + problem);
    }

    static LayoutMismatchException missing(String stepUri, String param) {
        return new LayoutMismatchException(stepUri, "its layout has no parameter '" + param + "'");
    }

    static LayoutMismatchException shape(String stepUri, String param, long[] recorded, long[] model) {
        return new LayoutMismatchException(stepUri, "parameter '" + param + "' has shape " + Arrays.toString(recorded)
                + " in its layout and " + Arrays.toString(model) + " in the model");
    }

    static LayoutMismatchException extra(String stepUri, Collection<String> params) {
        return new LayoutMismatchException(stepUri, "its layout has parameters the model lacks: " + new TreeSet<>(params));
    }
}
