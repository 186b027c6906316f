package dev.zerospark.model.internal;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * libtorch's fused tanh-approximated GELU, {@code torch.nn.functional.gelu(x, approximate="tanh")}: HF's "gelu_new"
 * and "gelu_pytorch_tanh" (the same function; results differ from the op-by-op formula by float rounding only).
 * DJL 0.36 binds only the erf GELU, and the formula op by op cost nine (B, T, 4C) elementwise passes forward and about
 * fourteen in backward: about 9 ms per layer and step in bench train-step's model (2 threads), where this kernel takes
 * under 3 ms with its backward. So the op runs through a one-line TorchScript module, written here as the archive
 * {@code torch.jit.save} produces (no binary file in the repository) and loaded once per JVM.
 *
 * <p>The module's forward runs in the caller's grad mode: with grad on, autograd records {@code aten::gelu} and its
 * fused backward like any other op; with grad off (generation) nothing is recorded.
 */
public final class TanhGelu {
    private static final String NAME = "gelu_tanh";
    /** TorchScript source, as torch.jit.script writes a module whose forward is the one gelu call. */
    private static final String CODE = "class GeluTanh(Module):\n"
            + "  __parameters__ = []\n"
            + "  __buffers__ = []\n"
            + "  training : bool\n"
            + "  def forward(self: __torch__.GeluTanh,\n"
            + "    x: Tensor) -> Tensor:\n"
            + "    return torch.gelu(x, approximate=\"tanh\")\n";
    /** Pickle (protocol 2) of the module object: class __torch__.GeluTanh with state {training: True}. */
    private static final String DATA = "\u0080\u0002c__torch__\nGeluTanh\n)\u0081}(X\u0008\u0000\u0000\u0000training"
            + "\u0088ub.";
    /** Pickle of the empty constants table. */
    private static final String CONSTANTS = "\u0080\u0002).";
    /** Serialization format 10: the first with gelu's {@code approximate} argument (older ones get upgraded). */
    private static final String VERSION = "10\n";

    private TanhGelu() {}

    /** gelu(x, approximate="tanh"); the result is attached to {@code x}'s manager. */
    public static NDArray apply(NDArray x) {
        return IValueUtils.forward(Module.BLOCK, new NDList(x), true).singletonOrThrow();
    }

    /** Loaded on first use; lives as long as the JVM, in a manager of its own (it holds no tensors). */
    private static final class Module {
        static final PtSymbolBlock BLOCK = load();

        private static PtSymbolBlock load() {
            NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
            try {
                return JniUtils.loadModule((PtNDManager) manager, new ByteArrayInputStream(archive()), false, false);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load the TorchScript gelu(approximate=tanh) module", e);
            }
        }
    }

    /** The zip archive torch.jit.save writes for the module (entries stored uncompressed). */
    static byte[] archive() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            stored(zip, NAME + "/data.pkl", DATA.getBytes(StandardCharsets.ISO_8859_1));
            stored(zip, NAME + "/code/__torch__.py", CODE.getBytes(StandardCharsets.UTF_8));
            stored(zip, NAME + "/constants.pkl", CONSTANTS.getBytes(StandardCharsets.ISO_8859_1));
            stored(zip, NAME + "/.data/version", VERSION.getBytes(StandardCharsets.US_ASCII));
        }
        return bytes.toByteArray();
    }

    private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }
}
