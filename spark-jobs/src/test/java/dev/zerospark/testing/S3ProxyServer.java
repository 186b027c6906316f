package dev.zerospark.testing;

import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * A real S3 API server (S3Proxy over an in-memory jclouds blob store) on 127.0.0.1 with a random port,
 * plus the Hadoop {@code fs.s3a.*} settings that point S3A at it.
 */
public final class S3ProxyServer implements AutoCloseable {
    public static final String ACCESS_KEY = "zerospark-test-access";
    public static final String SECRET_KEY = "zerospark-test-secret";
    private static final long START_TIMEOUT_MS = 30_000;

    private final BlobStoreContext context;
    private final S3Proxy proxy;

    private S3ProxyServer(BlobStoreContext context, S3Proxy proxy) {
        this.context = context;
        this.proxy = proxy;
    }

    /** Starts a server and waits until Jetty reports STARTED. */
    public static S3ProxyServer start() throws Exception {
        BlobStoreContext context = ContextBuilder.newBuilder("transient")
                .credentials("identity", "credential")
                .overrides(new Properties())
                .build(BlobStoreContext.class);
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(context.getBlobStore())
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .build();
        proxy.start();
        long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
        // S3Proxy.start() returns before Jetty's connector is up and exposes no latch; poll its state, bounded.
        while (!"STARTED".equals(proxy.getState())) {
            if (System.currentTimeMillis() > deadline) {
                proxy.stop();
                context.close();
                throw new IllegalStateException("S3Proxy did not start within " + START_TIMEOUT_MS + " ms (state " + proxy.getState() + ")");
            }
            Thread.onSpinWait();
            Thread.sleep(10);
        }
        return new S3ProxyServer(context, proxy);
    }

    public BlobStore blobStore() {
        return context.getBlobStore();
    }

    /** Creates a bucket (idempotent) and returns its {@code s3a://bucket} URI. */
    public String createBucket(String name) {
        blobStore().createContainerInLocation(null, name);
        return "s3a://" + name;
    }

    public String endpoint() {
        return "http://127.0.0.1:" + proxy.getPort();
    }

    /** Hadoop settings for S3A against this server; prefix each key with {@code spark.hadoop.} for Spark. */
    public Map<String, String> hadoopConf() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("fs.s3a.endpoint", endpoint());
        c.put("fs.s3a.endpoint.region", "us-east-1");
        c.put("fs.s3a.path.style.access", "true");
        c.put("fs.s3a.connection.ssl.enabled", "false");
        c.put("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
        c.put("fs.s3a.access.key", ACCESS_KEY);
        c.put("fs.s3a.secret.key", SECRET_KEY);
        c.put("fs.s3a.change.detection.version.required", "false");
        c.put("fs.s3a.attempts.maximum", "3");
        c.put("fs.s3a.retry.limit", "3");
        return c;
    }

    @Override
    public void close() throws Exception {
        try {
            proxy.stop();
        } finally {
            context.close();
        }
    }
}
