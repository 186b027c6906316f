package dev.zerospark.cli;

import org.apache.hadoop.conf.Configuration;

/**
 * The Hadoop settings of a command that starts no Spark job ({@code export}, {@code checkpoint}), taken as Spark
 * would take them: the classpath's {@code *-site.xml} files, then each {@code spark.hadoop.*} system property
 * without its prefix. spark-submit's {@code --conf} and {@code -D} in JAVA_OPTS set those, so an {@code s3a://}
 * endpoint or key set for Spark reaches these commands too.
 */
final class CliHadoop {
    static final String PREFIX = "spark.hadoop.";

    private CliHadoop() {}

    static Configuration conf() {
        Configuration conf = new Configuration();
        for (String key : System.getProperties().stringPropertyNames()) {
            if (key.startsWith(PREFIX)) conf.set(key.substring(PREFIX.length()), System.getProperty(key));
        }
        return conf;
    }
}
