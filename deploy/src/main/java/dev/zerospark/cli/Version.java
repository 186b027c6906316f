package dev.zerospark.cli;

import picocli.CommandLine;

/** Reports the build's version from the jar manifest. */
public final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = ZeroSpark.class.getPackage().getImplementationVersion();
        return new String[] {"zerospark " + (v == null ? "dev" : v)};
    }
}
