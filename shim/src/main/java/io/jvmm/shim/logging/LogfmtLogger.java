package io.jvmm.shim.logging;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.Marker;
import org.apache.logging.log4j.ThreadContext;
import org.apache.logging.log4j.message.Message;
import org.apache.logging.log4j.spi.AbstractLogger;

/**
 * A log4j2 logger that writes one logfmt line per event to the process's current stderr, the form
 * containerd's own log has ({@code time="…" level=info msg="…" logger=ShimServer runtime=…
 * sandbox="…"}); a throwable's stack trace is the line's {@code error} value. Every isEnabled overload asks one question: is the event's
 * level at least as severe as the threshold.
 */
final class LogfmtLogger extends AbstractLogger {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").withZone(ZoneOffset.UTC);

    /** The thread-context key naming the container a call is about (task-service's ContainerCalls). */
    static final String CONTAINER_KEY = "container";

    private final String shortName;
    private final Level threshold;

    LogfmtLogger(String name, Level threshold) {
        super(name);
        this.shortName = name.substring(name.lastIndexOf('.') + 1);
        this.threshold = threshold;
    }

    @Override
    public Level getLevel() {
        return threshold;
    }

    private boolean enabled(Level level) {
        return threshold.intLevel() >= level.intLevel();
    }

    @Override
    public void logMessage(String fqcn, Level level, Marker marker, Message message, Throwable t) {
        Throwable thrown = t != null ? t : message.getThrowable();
        String trace = null;
        if (thrown != null) {
            StringWriter text = new StringWriter();
            thrown.printStackTrace(new PrintWriter(text));
            trace = text.toString().strip();
        }
        System.err.println(format(
                Instant.now(),
                level,
                message.getFormattedMessage(),
                shortName,
                System.getProperty(LogfmtProvider.SANDBOX_PROPERTY),
                ThreadContext.get(CONTAINER_KEY),
                trace));
    }

    /** One event as a logfmt line (no line separator). */
    static String format(Instant time, Level level, String message, String logger) {
        return format(time, level, message, logger, null, null, null);
    }

    /**
     * One event as one logfmt line: the sandbox (pod) this shim serves once it is known, the container the
     * call that wrote it is about (the thread context's {@code container}, set by the Task service), and a
     * throwable's stack trace as one escaped {@code error} value, so that containerd's log, which mixes
     * every shim's lines, keeps each record on one line and names its pod and container.
     */
    static String format(
            Instant time, Level level, String message, String logger, String sandbox, String container, String error) {
        StringBuilder line = new StringBuilder(160)
                .append("time=\"")
                .append(TIME.format(time))
                .append("\" level=")
                .append(level.name().toLowerCase(Locale.ROOT))
                .append(" msg=\"")
                .append(escape(message))
                .append("\" logger=")
                .append(logger)
                .append(" runtime=io.containerd.jvmm.v2");
        field(line, "sandbox", sandbox);
        field(line, "container", container);
        field(line, "error", error);
        return line.toString();
    }

    private static void field(StringBuilder line, String key, String value) {
        if (value != null && !value.isEmpty()) {
            line.append(' ').append(key).append("=\"").append(escape(value)).append('"');
        }
    }

    /** JSON string escaping: quotes, backslashes and control characters, so a line stays one line. */
    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }

    @Override
    public boolean isEnabled(Level level, Marker marker, Message message, Throwable t) {
        return enabled(level);
    }

    @Override
    public boolean isEnabled(Level level, Marker marker, CharSequence message, Throwable t) {
        return enabled(level);
    }

    @Override
    public boolean isEnabled(Level level, Marker marker, Object message, Throwable t) {
        return enabled(level);
    }

    @Override
    public boolean isEnabled(Level level, Marker marker, String message, Throwable t) {
        return enabled(level);
    }

    @Override
    public boolean isEnabled(Level level, Marker marker, String message) {
        return enabled(level);
    }

    @Override
    public boolean isEnabled(Level level, Marker marker, String message, Object... params) {
        return enabled(level);
    }

    @Override
    public boolean isEnabled(Level level, Marker marker, String message, Object p0) {
        return enabled(level);
    }

    @Override
    public boolean isEnabled(Level level, Marker marker, String message, Object p0, Object p1) {
        return enabled(level);
    }

    @Override
    public boolean isEnabled(Level level, Marker marker, String message, Object p0, Object p1, Object p2) {
        return enabled(level);
    }

    @Override
    public boolean isEnabled(Level level, Marker marker, String message, Object p0, Object p1, Object p2, Object p3) {
        return enabled(level);
    }

    @Override
    public boolean isEnabled(
            Level level, Marker marker, String message, Object p0, Object p1, Object p2, Object p3, Object p4) {
        return enabled(level);
    }

    @Override
    public boolean isEnabled(
            Level level,
            Marker marker,
            String message,
            Object p0,
            Object p1,
            Object p2,
            Object p3,
            Object p4,
            Object p5) {
        return enabled(level);
    }

    @Override
    public boolean isEnabled(
            Level level,
            Marker marker,
            String message,
            Object p0,
            Object p1,
            Object p2,
            Object p3,
            Object p4,
            Object p5,
            Object p6) {
        return enabled(level);
    }

    @Override
    public boolean isEnabled(
            Level level,
            Marker marker,
            String message,
            Object p0,
            Object p1,
            Object p2,
            Object p3,
            Object p4,
            Object p5,
            Object p6,
            Object p7) {
        return enabled(level);
    }

    @Override
    public boolean isEnabled(
            Level level,
            Marker marker,
            String message,
            Object p0,
            Object p1,
            Object p2,
            Object p3,
            Object p4,
            Object p5,
            Object p6,
            Object p7,
            Object p8) {
        return enabled(level);
    }

    @Override
    public boolean isEnabled(
            Level level,
            Marker marker,
            String message,
            Object p0,
            Object p1,
            Object p2,
            Object p3,
            Object p4,
            Object p5,
            Object p6,
            Object p7,
            Object p8,
            Object p9) {
        return enabled(level);
    }
}
