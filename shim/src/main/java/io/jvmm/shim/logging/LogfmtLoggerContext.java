package io.jvmm.shim.logging;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.message.MessageFactory;
import org.apache.logging.log4j.spi.ExtendedLogger;
import org.apache.logging.log4j.spi.LoggerContext;

/**
 * The shim's one logger context. The threshold is the system property {@code jvmm.log.level} (set by
 * ShimLogging from containerd's -debug flag before the first logger exists), warn when unset.
 */
final class LogfmtLoggerContext implements LoggerContext {
    static final LogfmtLoggerContext INSTANCE = new LogfmtLoggerContext();

    private final Map<String, LogfmtLogger> loggers = new ConcurrentHashMap<>();

    @Override
    public Object getExternalContext() {
        return null;
    }

    @Override
    public ExtendedLogger getLogger(String name) {
        return loggers.computeIfAbsent(
                name,
                n -> new LogfmtLogger(n, Level.toLevel(System.getProperty(LogfmtProvider.LEVEL_PROPERTY), Level.WARN)));
    }

    /** Messages are formatted by log4j-api's default factory whatever is asked: the shim asks for nothing else. */
    @Override
    public ExtendedLogger getLogger(String name, MessageFactory messageFactory) {
        return getLogger(name);
    }

    @Override
    public boolean hasLogger(String name) {
        return loggers.containsKey(name);
    }

    @Override
    public boolean hasLogger(String name, MessageFactory messageFactory) {
        return hasLogger(name);
    }

    @Override
    public boolean hasLogger(String name, Class<? extends MessageFactory> messageFactoryClass) {
        return hasLogger(name);
    }
}
