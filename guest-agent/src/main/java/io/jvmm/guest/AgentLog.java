package io.jvmm.guest;

import java.lang.System.Logger.Level;

/**
 * The agent's logging: the JDK's {@link System.Logger} (java.util.logging in the guest's JRE, to the
 * console), looked up at the first message. A start-up that logs nothing initialises no logging at all;
 * log4j's initialisation cost the agent ~0.4 s of emulated CPU before its first answer. Messages use
 * {@link java.text.MessageFormat} placeholders ({@code {0}}).
 */
final class AgentLog {
    private final String name;
    private volatile System.Logger logger;

    private AgentLog(String name) {
        this.name = name;
    }

    static AgentLog of(Class<?> owner) {
        return new AgentLog(owner.getName());
    }

    private System.Logger logger() {
        System.Logger l = logger;
        if (l == null) {
            l = System.getLogger(name);
            logger = l;
        }
        return l;
    }

    void debug(String format, Object... args) {
        log(Level.DEBUG, format, args);
    }

    void info(String format, Object... args) {
        log(Level.INFO, format, args);
    }

    void warn(String format, Object... args) {
        log(Level.WARNING, format, args);
    }

    void error(String format, Object... args) {
        log(Level.ERROR, format, args);
    }

    private void log(Level level, String format, Object... args) {
        System.Logger l = logger();
        if (!l.isLoggable(level)) {
            return;
        }
        Object[] shown = args.clone();
        for (int i = 0; i < shown.length; i++) {
            // MessageFormat would print a pid as "12,345".
            if (shown[i] instanceof Number n) {
                shown[i] = n.toString();
            }
        }
        l.log(level, format, shown);
    }
}
