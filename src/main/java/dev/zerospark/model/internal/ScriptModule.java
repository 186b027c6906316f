package dev.zerospark.model.internal;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
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
 * A TorchScript module with no parameters and one {@code forward}, written as the archive {@code torch.jit.save}
 * produces (no binary file in the repository) and loaded through DJL: how ops that DJL 0.36 does not bind, or a
 * sequence of in-place ops, run as one call. The forward runs in the caller's grad mode.
 */
final class ScriptModule {
    /** Serialization format 10: the first with gelu's {@code approximate} argument (older ones get upgraded). */
    private static final String VERSION = "10\n";
    /** Pickle of the empty constants table. */
    private static final String CONSTANTS = "\u0080\u0002).";

    private ScriptModule() {}

    /**
     * Loads module {@code className} whose forward is {@code forward} (serialized TorchScript, starting with
     * {@code def forward(self: __torch__.<className>, ...}, indented by two spaces); lives as long as the JVM, in a
     * manager of its own (it holds no tensors).
     */
    static PtSymbolBlock load(String className, String forward) {
        NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        try {
            return JniUtils.loadModule((PtNDManager) manager, new ByteArrayInputStream(archive(className, forward)),
                    false, false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load the TorchScript module " + className, e);
        }
    }

    /** The zip archive torch.jit.save writes for the module (entries stored uncompressed). */
    static byte[] archive(String className, String forward) throws IOException {
        String code = "class " + className + "(Module):\n"
                + "  __parameters__ = []\n"
                + "  __buffers__ = []\n"
                + "  training : bool\n"
                + forward;
        // Pickle (protocol 2) of the module object: class __torch__.<className> with state {training: True}.
        String data = "\u0080\u0002c__torch__\n" + className + "\n)\u0081}(X\u0008\u0000\u0000\u0000training\u0088ub.";
        String dir = className.toLowerCase(java.util.Locale.ROOT);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            stored(zip, dir + "/data.pkl", data.getBytes(StandardCharsets.ISO_8859_1));
            stored(zip, dir + "/code/__torch__.py", code.getBytes(StandardCharsets.UTF_8));
            stored(zip, dir + "/constants.pkl", CONSTANTS.getBytes(StandardCharsets.ISO_8859_1));
            stored(zip, dir + "/.data/version", VERSION.getBytes(StandardCharsets.US_ASCII));
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
