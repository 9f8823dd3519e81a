package io.jvmm.shim.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.ThreadContext;
import org.junit.jupiter.api.Test;

class LogfmtLoggerTest {
    @Test
    void aLineIsLogfmtWithItsMessageEscapedOntoOneLine() {
        String line = LogfmtLogger.format(
                Instant.parse("2026-11-27T08:00:01.234Z"),
                Level.INFO,
                "container \"c1\" said\nbye\\\u0001",
                "ShimServer");
        assertThat(line)
                .isEqualTo(
                        "time=\"2026-11-27T08:00:01.234Z\" level=info msg=\"container \\\"c1\\\" said\\nbye\\\\\\u0001\""
                                + " logger=ShimServer runtime=io.containerd.jvmm.v2");
    }

    @Test
    void log4jApiFindsThisBackEndEvenBesideLog4jCore() {
        assertThat(LogManager.getLogger("io.jvmm.x.Probe")).isInstanceOf(LogfmtLogger.class);
    }

    @Test
    void eventsBelowTheThresholdAreDroppedAndAThrowablesTraceStaysInItsRecord() {
        Logger logger = new LogfmtLogger("io.jvmm.shim.ShimServer", Level.INFO);
        PrintStream saved = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            logger.debug("not shown");
            logger.info("serving {} on {}", "pod-1", "/run/x");
            logger.warn("failed", new IllegalStateException("boom"));
        } finally {
            System.setErr(saved);
        }
        String[] lines = captured.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(2);
        assertThat(lines[0]).contains("level=info msg=\"serving pod-1 on /run/x\" logger=ShimServer");
        assertThat(lines[1])
                .contains("level=warn msg=\"failed\"")
                .contains(
                        " error=\"java.lang.IllegalStateException: boom\\n\\tat io.jvmm.shim.logging.LogfmtLoggerTest.");
        assertThat(captured.toString(StandardCharsets.UTF_8)).doesNotContain("not shown");
        assertThat(logger.isDebugEnabled()).isFalse();
        assertThat(logger.isErrorEnabled()).isTrue();
    }

    @Test
    void onceTheSandboxIsKnownEveryLineNamesIt() {
        String line = LogfmtLogger.format(
                Instant.parse("2026-11-27T08:00:01.234Z"), Level.WARN, "agent gone", "VmSandbox", "pod-7", null, null);
        assertThat(line).endsWith(" logger=VmSandbox runtime=io.containerd.jvmm.v2 sandbox=\"pod-7\"");
        Logger logger = new LogfmtLogger("io.jvmm.task.sandbox.VmSandbox", Level.INFO);
        PrintStream saved = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        System.setProperty(LogfmtProvider.SANDBOX_PROPERTY, "pod-8");
        try {
            logger.info("restored");
        } finally {
            System.clearProperty(LogfmtProvider.SANDBOX_PROPERTY);
            System.setErr(saved);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8))
                .contains("msg=\"restored\"")
                .contains(" sandbox=\"pod-8\"");
    }

    @Test
    void aCallAboutAContainerNamesItOnEveryLineItsThreadWrites() {
        Logger logger = new LogfmtLogger("io.jvmm.task.ContainerCreation", Level.INFO);
        PrintStream saved = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            ThreadContext.put(LogfmtLogger.CONTAINER_KEY, "c-9");
            try {
                logger.info("created");
            } finally {
                ThreadContext.remove(LogfmtLogger.CONTAINER_KEY);
            }
            logger.info("after the call");
        } finally {
            System.setErr(saved);
        }
        String[] lines = captured.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines[0]).contains("msg=\"created\"").endsWith(" container=\"c-9\"");
        assertThat(lines[1]).doesNotContain("container=");
    }
}
