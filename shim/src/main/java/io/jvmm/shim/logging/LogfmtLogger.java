package io.jvmm.shim.logging;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.Marker;
import org.apache.logging.log4j.message.Message;
import org.apache.logging.log4j.spi.AbstractLogger;

/**
 * A log4j2 logger that writes one logfmt line per event to the process's current stderr, the form
 * containerd's own log has ({@code time="…" level=info msg="…" logger=ShimServer runtime=…}); a
 * throwable's stack trace follows its line. Every isEnabled overload asks one question: is the event's
 * level at least as severe as the threshold.
 */
final class LogfmtLogger extends AbstractLogger {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").withZone(ZoneOffset.UTC);

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
        String line = format(Instant.now(), level, message.getFormattedMessage(), shortName);
        Throwable thrown = t != null ? t : message.getThrowable();
        PrintStream err = System.err;
        if (thrown == null) {
            err.println(line);
            return;
        }
        StringWriter trace = new StringWriter();
        thrown.printStackTrace(new PrintWriter(trace));
        err.print(line + System.lineSeparator() + trace);
        err.flush();
    }

    /** One event as a logfmt line (no line separator). */
    static String format(Instant time, Level level, String message, String logger) {
        return "time=\"" + TIME.format(time) + "\" level=" + level.name().toLowerCase(Locale.ROOT) + " msg=\""
                + escape(message) + "\" logger=" + logger + " runtime=io.containerd.jvmm.v2";
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
