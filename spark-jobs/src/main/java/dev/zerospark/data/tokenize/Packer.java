package dev.zerospark.data.tokenize;

import dev.zerospark.data.dedup.MinHasher;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * HF {@code group_texts} packing for causal LM, per partition: documents (already ending in EOS) are concatenated
 * per split and cut into blocks of {@code seq_len + 1} tokens (inputs and shifted labels come from one block);
 * the tail shorter than a block is dropped, as HF does per batch. A block id is a hash of the split, the first
 * document of the partition and the block's index, so the same articles give the same ids on a rerun.
 */
public final class Packer implements Serializable {
    public static final StructType SCHEMA = new StructType()
            .add("block_id", DataTypes.StringType, false)
            .add("split", DataTypes.StringType, false)
            .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add("run_id", DataTypes.StringType, false);

    private final int blockLen;
    private final String runId;

    public Packer(int seqLen, String runId) {
        this.blockLen = seqLen + 1;
        this.runId = runId;
    }

    /** Input rows need {@code content_hash}, {@code split} and {@code lm_ids}, sorted within the partition. */
    public Iterator<Row> pack(Iterator<Row> docs) {
        Map<String, List<Integer>> buffers = new TreeMap<>();
        Map<String, String> firstDoc = new TreeMap<>();
        Map<String, Integer> index = new TreeMap<>();
        List<Row> out = new ArrayList<>();
        while (docs.hasNext()) {
            Row r = docs.next();
            String split = r.getAs("split");
            firstDoc.putIfAbsent(split, r.getAs("content_hash"));
            List<Integer> buf = buffers.computeIfAbsent(split, k -> new ArrayList<>());
            List<Integer> ids = r.getList(r.fieldIndex("lm_ids"));
            buf.addAll(ids);
            while (buf.size() >= blockLen) {
                int[] block = new int[blockLen];
                for (int i = 0; i < blockLen; i++) block[i] = buf.get(i);
                buf.subList(0, blockLen).clear();
                int n = index.merge(split, 1, Integer::sum) - 1;
                String id = MinHasher.sha256(split + ":" + firstDoc.get(split) + ":" + n).substring(0, 32);
                out.add(RowFactory.create(id, split, Encoder.boxed(block), runId));
            }
        }
        return out.iterator();
    }

}
