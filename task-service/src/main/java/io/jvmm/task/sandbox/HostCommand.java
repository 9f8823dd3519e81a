package io.jvmm.task.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a host tool (mount, ip, tc) with a time limit; its output, or an IOException that quotes it. */
final class HostCommand {
    private static final long TIMEOUT_SECONDS = 30;

    private HostCommand() {}

    /** Runs {@code command}; returns its output (stdout and stderr). Fails on a non-zero exit unless {@code tolerated} is in the output. */
    static String run(List<String> command, String tolerated) throws IOException {
        return run(command, tolerated, TIMEOUT_SECONDS);
    }

    /** The same with its own time limit, for a tool whose work grows with its input (mkfs of a large tree). */
    static String run(List<String> command, String tolerated, long timeoutSeconds) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " timed out");
            }
            String text = new String(out, StandardCharsets.UTF_8).strip();
            if (p.exitValue() != 0 && (tolerated == null || !text.contains(tolerated))) {
                throw new IOException(String.join(" ", command) + " failed: " + text);
            }
            return text;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
    }

    static String run(List<String> command) throws IOException {
        return run(command, null);
    }
}
