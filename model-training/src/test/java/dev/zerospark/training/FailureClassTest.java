package dev.zerospark.training;

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
}
