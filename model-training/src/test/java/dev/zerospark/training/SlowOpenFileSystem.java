package dev.zerospark.training;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;

/**
 * The local disk under the {@code slow://} scheme, whose first {@code open} takes {@code test.slow.first_open_ms}:
 * a model download from a slow store, for one rank only when only its configuration sets the delay. Register
 * with {@code fs.slow.impl} and {@code fs.slow.impl.disable.cache=true} (the cache would share one instance).
 */
public final class SlowOpenFileSystem extends RawLocalFileSystem {
    private long delayMillis;
    private boolean opened;

    @Override
    public String getScheme() {
        return "slow";
    }

    @Override
    public URI getUri() {
        return URI.create("slow:///");
    }

    @Override
    public void initialize(URI uri, Configuration conf) throws IOException {
        super.initialize(uri, conf);
        delayMillis = conf.getLong("test.slow.first_open_ms", 0);
    }

    @Override
    public synchronized FSDataInputStream open(Path f, int bufferSize) throws IOException {
        if (!opened) {
            opened = true;
            try {
                Thread.sleep(delayMillis); // stands for a slow download, not a synchronisation
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while slowly opening " + f);
            }
        }
        return super.open(f, bufferSize);
    }
}
