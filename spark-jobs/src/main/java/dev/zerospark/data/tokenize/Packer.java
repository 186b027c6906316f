package dev.zerospark.data.tokenize;

import dev.zerospark.data.dedup.MinHasher;
import dev.zerospark.spark.Contracts;
import dev.zerospark.table.LmBlocks;
import org.apache.spark.sql.types.StructType;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * HF {@code group_texts} packing for causal LM: documents (already ending in EOS) are concatenated per split and
 * cut into blocks of {@code seq_len + 1} tokens (inputs and shifted labels come from one block). Each partition
 * packs its own documents and hands back what is left over as a {@link Tail}; the driver then joins the tails of
 * all partitions and packs them too, so only the very last short remainder of each split is dropped, as HF drops
 * the remainder of a batch. A block id is a hash of the split, the first document of its run of tokens and the
 * block's index there, so the same articles give the same ids on a rerun.
 */
public final class Packer implements Serializable {
    /** The rows of {@code lm_blocks}. */
    public static final StructType SCHEMA = Contracts.schema(LmBlocks.CONTRACT);

    public record Block(String id, String split, int[] ids) {}

    /** Tokens of one split that one partition could not fill a block with; {@code firstDoc} orders the tails. */
    public record Tail(String split, String firstDoc, int[] ids) implements Serializable {}

    private final int blockLen;
    private final Map<String, Buffer> buffers = new TreeMap<>();

    public Packer(int seqLen) {
        this.blockLen = seqLen + 1;
    }

    /** Adds one document's ids (EOS included) and returns the blocks it completed. */
    public List<Block> add(String split, String contentHash, int[] ids) {
        Buffer b = buffers.computeIfAbsent(split, k -> new Buffer(contentHash));
        b.append(ids);
        List<Block> out = new ArrayList<>();
        while (b.size - b.start >= blockLen) {
            out.add(new Block(blockId(split, b.firstDoc, b.blocks++), split, Arrays.copyOfRange(b.ids, b.start, b.start + blockLen)));
            b.start += blockLen;
        }
        return out;
    }

    /** What is left in each split after the last complete block (empty tails omitted). */
    public List<Tail> tails() {
        List<Tail> out = new ArrayList<>();
        buffers.forEach((split, b) -> {
            if (b.size > b.start) out.add(new Tail(split, b.firstDoc, Arrays.copyOfRange(b.ids, b.start, b.size)));
        });
        return out;
    }

    /** Packs the partitions' tails (in first-document order, per split) into whole blocks; the final remainder is dropped. */
    public List<Block> packTails(List<Tail> tails) {
        List<Tail> sorted = new ArrayList<>(tails);
        sorted.sort(Comparator.comparing(Tail::split).thenComparing(Tail::firstDoc));
        Packer p = new Packer(blockLen - 1);
        List<Block> out = new ArrayList<>();
        for (Tail t : sorted) {
            for (Block b : p.add(t.split(), "tails:" + t.firstDoc(), t.ids())) out.add(b);
        }
        return out;
    }

    private static String blockId(String split, String firstDoc, int n) {
        return MinHasher.sha256(split + ":" + firstDoc + ":" + n).substring(0, 32);
    }

    /** A growable int buffer whose consumed prefix is dropped when it would otherwise grow. */
    private static final class Buffer {
        final String firstDoc;
        int[] ids = new int[4096];
        int start;
        int size;
        int blocks;

        Buffer(String firstDoc) {
            this.firstDoc = firstDoc;
        }

        void append(int[] more) {
            if (size + more.length > ids.length) {
                int live = size - start;
                int[] next = live + more.length > ids.length / 2 ? new int[Math.max(ids.length * 2, live + more.length)] : ids;
                System.arraycopy(ids, start, next, 0, live);
                ids = next;
                start = 0;
                size = live;
            }
            System.arraycopy(more, 0, ids, size, more.length);
            size += more.length;
        }
    }
}
