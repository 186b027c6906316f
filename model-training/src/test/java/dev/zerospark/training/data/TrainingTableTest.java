package dev.zerospark.training.data;

import dev.zerospark.config.ConfigException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingTableTest {
    private static int[][] rows(int n, int len) {
        int[][] r = new int[n][len];
        for (int i = 0; i < n; i++) for (int t = 0; t < len; t++) r[i][t] = (i + t) % 10;
        return r;
    }

    private static float[][] masks(int n, int len) {
        return new float[n][len];
    }

    @Test
    void tokenIdOutsideTheVocabularyNamesTableRowAndId() {
        int[][] train = rows(5, 17);
        train[3][5] = 1024;
        TrainingTable t = new TrainingTable("file:/data/lm_blocks", 7, train, null, rows(2, 17), null);
        TokenIdOutOfRangeException e = assertThrows(TokenIdOutOfRangeException.class, () -> t.checkAgainstModel(1024, 64));
        for (String s : new String[] {"file:/data/lm_blocks", "version 7", "split train row 3", "position 5",
                "token id 1024", "[0, 1024)"}) {
            assertTrue(e.getMessage().contains(s), s + " in " + e.getMessage());
        }
        assertDoesNotThrow(() -> t.checkAgainstModel(1025, 64));

        int[][] validation = rows(2, 17);
        validation[1][0] = -1;
        TrainingTable neg = new TrainingTable("t", 0, rows(5, 17), null, validation, null);
        TokenIdOutOfRangeException v = assertThrows(TokenIdOutOfRangeException.class, () -> neg.checkAgainstModel(1024, 64));
        assertTrue(v.getMessage().contains("split validation row 1 (in table order) position 0 has token id -1"), v.getMessage());
    }

    @Test
    void rowsLongerThanTheModelsPositionsAreRejected() {
        TrainingTable t = new TrainingTable("file:/data/lm_blocks", 1, rows(4, 65), null, rows(1, 65), null);
        SequenceTooLongException e = assertThrows(SequenceTooLongException.class, () -> t.checkAgainstModel(1024, 64));
        assertTrue(e.getMessage().contains("file:/data/lm_blocks") && e.getMessage().contains("rows of 65 tokens")
                && e.getMessage().contains("64 positions"), e.getMessage());
        assertDoesNotThrow(() -> t.checkAgainstModel(1024, 65));
    }

    @Test
    void seqLenMustEqualTheTablesBlockLength() {
        TrainingTable blocks = new TrainingTable("lm", 2, rows(4, 17), null, rows(1, 17), null);
        assertEquals(16, blocks.blockLength(), "lm_blocks rows hold seq_len + 1 tokens");
        assertDoesNotThrow(() -> blocks.checkSeqLen(16));
        assertDoesNotThrow(() -> blocks.checkSeqLen(null));
        ConfigException e = assertThrows(ConfigException.class, () -> blocks.checkSeqLen(256));
        assertEquals("train.seq_len", e.keyPath());
        assertTrue(e.getMessage().contains("train.seq_len is 256") && e.getMessage().contains("packed with seq_len 16"),
                e.getMessage());

        TrainingTable sft = new TrainingTable("sft", 0, rows(4, 16), masks(4, 16), rows(1, 16), masks(1, 16));
        assertEquals(16, sft.blockLength(), "sft_pairs rows hold seq_len tokens");
        assertDoesNotThrow(() -> sft.checkSeqLen(16));
        assertThrows(ConfigException.class, () -> sft.checkSeqLen(15));

        int[][] ragged = rows(4, 17);
        ragged[2] = new int[9];
        TrainingTable bad = new TrainingTable("lm", 0, ragged, null, rows(1, 17), null);
        IllegalArgumentException r = assertThrows(IllegalArgumentException.class, () -> bad.checkSeqLen(null));
        assertTrue(r.getMessage().contains("split train row 2 has 9 tokens"), r.getMessage());
    }
}
