package dev.zerospark.training;

import dev.zerospark.checkpoint.CheckpointException;
import dev.zerospark.checkpoint.ChecksumMismatchException;
import dev.zerospark.collective.PeerFailedException;
import dev.zerospark.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A peer's failure takes the class its culprit reported, so the rank Spark happens to report first does not decide. */
class FailureClassTest {
    @Test
    void aPeerFailureCarryingTheCulpritsClassTakesIt() {
        String culprit = RankFailedException.of(0, new ConfigException("train.model", "bad model")).getMessage();
        assertEquals(FailureClass.CONFIG, FailureClass.of(new PeerFailedException(0, "127.0.0.1:1", culprit, null)));
        String bug = RankFailedException.of(0, new IllegalStateException("oops")).getMessage();
        assertEquals(FailureClass.BUG, FailureClass.of(new PeerFailedException(0, "127.0.0.1:1", bug, null)));
        String io = RankFailedException.of(0, new IOException("disk")).getMessage();
        assertEquals(FailureClass.RETRYABLE, FailureClass.of(new PeerFailedException(0, "127.0.0.1:1", io, null)));
        assertEquals(FailureClass.RETRYABLE, FailureClass.of(new PeerFailedException(0, "127.0.0.1:1", "closed the connection", null)));
    }

    /**
     * Ranks verify the checkpoint chunks they read (the driver no longer hashes a step first): a damaged chunk reads
     * the same on every attempt, so it stops the run instead of burning its restarts; a failed read is retried.
     */
    @Test
    void aDamagedCheckpointStopsTheRunAndAFailedReadIsRetried() {
        var damaged = new ChecksumMismatchException("s3a://b/ckpt/step-4", "optim-rank1.safetensors", "chunk 3 (bytes 0..9)", "crc32c", "aa", "bb");
        assertEquals(FailureClass.CONFIG, RankFailedException.of(1, damaged).failureClass());
        assertEquals(FailureClass.RETRYABLE, FailureClass.of(new CheckpointException("cannot read x", new IOException("reset"))));
    }
}
