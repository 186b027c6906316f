package dev.zerospark.data.dedup;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The MinHash inner loop in SIMD lanes: about 10x the scalar loop, which C2 does not vectorize. Same bits as
 * {@link MinHasher}'s scalar loop. Loaded only when the jdk.incubator.vector module is present.
 */
final class VectorMinHash {
    private static final VectorSpecies<Integer> S = IntVector.SPECIES_PREFERRED;

    private VectorMinHash() {}

    /** sig[i] = min(sig[i], fmix32(x ^ seeds[i])) for every i. */
    static void update(int x, int[] seeds, int[] sig) {
        int i = 0;
        for (int bound = S.loopBound(sig.length); i < bound; i += S.length()) {
            IntVector v = IntVector.fromArray(S, seeds, i).lanewise(VectorOperators.XOR, x);
            v = v.lanewise(VectorOperators.XOR, v.lanewise(VectorOperators.LSHR, 16)).mul(0x85EBCA6B);
            v = v.lanewise(VectorOperators.XOR, v.lanewise(VectorOperators.LSHR, 13)).mul(0xC2B2AE35);
            v = v.lanewise(VectorOperators.XOR, v.lanewise(VectorOperators.LSHR, 16));
            v.min(IntVector.fromArray(S, sig, i)).intoArray(sig, i);
        }
        MinHasher.scalarUpdate(x, seeds, sig, i);
    }
}
