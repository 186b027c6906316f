package dev.zerospark.tokenizer;

import java.util.List;
import java.util.Map;

/**
 * A trained byte-level BPE: {@code vocab} maps token to id (special tokens first, then the 256 byte symbols, then
 * one token per merge, in merge order); {@code merges} are the pairs in priority order.
 */
public record BpeModel(Map<String, Integer> vocab, List<String[]> merges, List<String> specialTokens) {}
