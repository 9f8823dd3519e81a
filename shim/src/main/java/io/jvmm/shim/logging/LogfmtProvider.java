package io.jvmm.shim.logging;

import java.net.URI;
import org.apache.logging.log4j.spi.LoggerContext;
import org.apache.logging.log4j.spi.LoggerContextFactory;
import org.apache.logging.log4j.spi.Provider;

/**
 * The shim's log4j2 back end, found by log4j-api through ServiceLoader: a logfmt line per event on stderr,
 * which ShimLogging points at the bundle's log fifo. It replaces log4j-core in the shim because that
 * loads some 850 classes (plugins, an XML parser for its configuration) for what is one fixed line
 * format: about 7 MiB of every shim's resident memory (docs/benchmarks.md). Its priority is above
 * log4j-core's, so it also wins where both are on a class path (tests).
 */
public final class LogfmtProvider extends Provider {
    /** The system property holding the threshold (a log4j level name); warn when unset. */
    public static final String LEVEL_PROPERTY = "jvmm.log.level";
    /** The system property naming the sandbox (pod) this shim serves, on every line once set. */
    public static final String SANDBOX_PROPERTY = "jvmm.log.sandbox";

    public LogfmtProvider() {
        super(15, CURRENT_VERSION, Factory.class);
    }

    /** Hands out the one context, whoever asks. */
    public static final class Factory implements LoggerContextFactory {
        @Override
        public LoggerContext getContext(
                String fqcn, ClassLoader loader, Object externalContext, boolean currentContext) {
            return LogfmtLoggerContext.INSTANCE;
        }

        @Override
        public LoggerContext getContext(
                String fqcn,
                ClassLoader loader,
                Object externalContext,
                boolean currentContext,
                URI configLocation,
                String name) {
            return LogfmtLoggerContext.INSTANCE;
        }

        @Override
        public void removeContext(LoggerContext context) {
            // one context for the process's life
        }
    }
}
