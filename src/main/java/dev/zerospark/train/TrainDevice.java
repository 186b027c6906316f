package dev.zerospark.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The device a training command runs on, as its {@code --device} flag names it: {@code cpu} (the default) or
 * {@code cuda:N}, the N-th GPU that this process's libtorch sees.
 */
public final class TrainDevice {
    private static final Pattern CUDA = Pattern.compile("cuda:(\\d{1,4})");

    private TrainDevice() {}

    /** The device {@code value} names; fails for another spelling or a GPU this libtorch does not see. */
    public static Device parse(String value) {
        if (value.equals("cpu")) {
            return Device.cpu();
        }
        Matcher m = CUDA.matcher(value);
        if (!m.matches()) {
            throw new UnknownDeviceException(value, "expected cpu or cuda:N");
        }
        int index = Integer.parseInt(m.group(1));
        Engine engine = Engine.getEngine("PyTorch");
        int gpus = engine.getGpuCount();
        if (index >= gpus) {
            throw new UnknownDeviceException(value, "this process's libtorch " + engine.getVersion() + " sees " + gpus
                    + " CUDA device(s); a CPU-only native bundle sees none (see deploy/gpu/smoke.sh for the CUDA one)");
        }
        return Device.gpu(index);
    }

    /** A {@code --device} value that names no device this process can use. */
    public static final class UnknownDeviceException extends IllegalArgumentException {
        private final String value;

        UnknownDeviceException(String value, String why) {
            super("device '" + value + "' cannot be used: " + why);
            this.value = value;
        }

        public String value() {
            return value;
        }
    }
}
