package dev.zerospark.cli;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.layout.PatternLayout;

import java.io.StringWriter;

/** What the {@code dev.zerospark} loggers say while a block runs: the notices a user sees on the console. */
final class LogCapture implements AutoCloseable {
    private static final String LOGGER = "dev.zerospark";
    private final StringWriter sink;
    private final WriterAppender appender;
    private final LoggerConfig config;
    private final boolean created;
    private final Level before;

    private LogCapture(StringWriter sink, WriterAppender appender, LoggerConfig config, boolean created, Level before) {
        this.sink = sink;
        this.appender = appender;
        this.config = config;
        this.created = created;
        this.before = before;
    }

    static LogCapture start() {
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        Configuration conf = ctx.getConfiguration();
        StringWriter sink = new StringWriter();
        WriterAppender appender = WriterAppender.newBuilder().setName("capture-" + System.nanoTime())
                .setTarget(sink).setLayout(PatternLayout.newBuilder().withPattern("%p %m%n").build()).build();
        appender.start();
        LoggerConfig existing = conf.getLoggerConfig(LOGGER);
        boolean created = !existing.getName().equals(LOGGER);
        LoggerConfig config = created ? new LoggerConfig(LOGGER, Level.INFO, true) : existing;
        Level before = config.getLevel();
        if (created) conf.addLogger(LOGGER, config);
        config.setLevel(Level.INFO);
        config.addAppender(appender, Level.INFO, null);
        ctx.updateLoggers();
        return new LogCapture(sink, appender, config, created, before);
    }

    String text() {
        return sink.toString();
    }

    @Override
    public void close() {
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        config.removeAppender(appender.getName());
        if (created) ctx.getConfiguration().removeLogger(LOGGER);
        else config.setLevel(before);
        ctx.updateLoggers();
        appender.stop();
    }
}
