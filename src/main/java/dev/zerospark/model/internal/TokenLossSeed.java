package dev.zerospark.model.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;

/**
 * Masked next-token cross-entropy and its gradient with respect to the logits, in one TorchScript call
 * ({@link ScriptModule}) over the batch's rows, one (T, V) row at a time, per row:
 * <pre>
 * seed[i] = log_softmax(logits[i].float(), 1);  picked = seed[i].gather(1, labels[i])
 * sums[i] = (picked * mask[i]).sum()
 * seed[i].exp_();  seed[i][t, labels[i][t]] = exp(picked[t]) - 1;  seed[i] *= weight[i]
 * </pre>
 * The same ops as DjlTrainableModel ran one by one through DJL (same kernels, same bits), with two (T, V) passes
 * fewer per row (the scatter's copy of the probabilities and the copy into the seed) and no (T, V) temporary besides
 * the fp32 copy of reduced-precision logits: the log-probabilities are written into the seed's row and exponentiated
 * there in place. A fresh log-probability buffer per row (8 MB in bench train-step's model) cost about 1 ms a step
 * more at one thread.
 */
public final class TokenLossSeed {
    private static final String FORWARD = "  def forward(self: __torch__.TokenLossSeed,\n"
            + "    logits: Tensor,\n"
            + "    labels: Tensor,\n"
            + "    mask: Tensor,\n"
            + "    weight: Tensor,\n"
            + "    seed: Tensor,\n"
            + "    sums: Tensor) -> Tensor:\n"
            + "    for i in range(torch.size(logits, 0)):\n"
            + "      grad = torch.select(seed, 0, i)\n"
            + "      logp = torch.log_softmax(torch.to(torch.select(logits, 0, i), 6), 1, None, out=grad)\n"
            + "      label = torch.select(labels, 0, i)\n"
            + "      picked = torch.gather(grad, 1, label)\n"
            + "      _0 = torch.copy_(torch.select(sums, 0, i),"
            + " torch.sum(torch.mul(picked, torch.select(mask, 0, i))))\n"
            + "      _1 = torch.exp_(grad)\n"
            + "      _2 = torch.scatter_(grad, 1, label, torch.sub(torch.exp(picked), 1))\n"
            + "      _3 = torch.mul_(grad, torch.select(weight, 0, i))\n"
            + "    return sums\n";

    private TokenLossSeed() {}

    /**
     * Fills {@code seed} (B, T, V) fp32 with the gradient and {@code sums} (B) fp32 with each row's sum of masked
     * picked log-probabilities. logits (B, T, V) in any float dtype; labels (B, T, 1) int64; mask and weight
     * (B, T, 1) fp32. Run with grad mode off.
     */
    public static void run(NDArray logits, NDArray labels, NDArray mask, NDArray weight, NDArray seed, NDArray sums) {
        NDList out = IValueUtils.forward(Module.BLOCK, new NDList(logits, labels, mask, weight, seed, sums), false);
        out.close(); // a second handle on sums
    }

    /** Loaded on first use. */
    private static final class Module {
        static final PtSymbolBlock BLOCK = ScriptModule.load("TokenLossSeed", FORWARD);
    }
}
