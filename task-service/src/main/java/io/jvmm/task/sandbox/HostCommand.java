package io.jvmm.task.sandbox;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a host tool (mount, ip, tc, mkfs) with a time limit that holds: its output is read on a thread of
 * its own while the caller waits for the exit, a tool still running at the limit is killed with its
 * children, and a child that keeps the output open after the tool exited does not hold the caller. The
 * output kept is bounded.
 */
final class HostCommand {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** After the tool exited, how long its output may take to reach its end (a child may hold it open). */
    private static final Duration DRAIN_AFTER_EXIT = Duration.ofSeconds(1);

    static final int MAX_OUTPUT = 64 * 1024;

    private HostCommand() {}

    /** Runs {@code command}; returns its output (stdout and stderr). Fails on a non-zero exit unless {@code tolerated} is in the output. */
    static String run(List<String> command, String tolerated) throws IOException {
        return run(command, tolerated, TIMEOUT);
    }

    static String run(List<String> command) throws IOException {
        return run(command, null);
    }

    /** The same with its own time limit, for a tool whose work grows with its input (mkfs of a large tree). */
    static String run(List<String> command, String tolerated, Duration timeout) throws IOException {
        String name = String.join(" ", command);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        Output output = new Output(p.getInputStream());
        Thread reader = Thread.ofVirtual().name("host-command-output").start(output);
        try {
            if (!p.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                kill(p);
                reader.join(DRAIN_AFTER_EXIT);
                throw new IOException(name + " timed out after " + timeout.toSeconds() + " s: " + output.text());
            }
            reader.join(DRAIN_AFTER_EXIT);
            String text = output.text();
            if (p.exitValue() != 0 && (tolerated == null || !text.contains(tolerated))) {
                throw new IOException(name + " failed (exit " + p.exitValue() + "): " + text);
            }
            return text;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill(p);
            throw new IOException("interrupted: " + name, e);
        } finally {
            p.getInputStream().close(); // ends the reader if a child still holds the pipe
        }
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    /** The tool's output, up to {@link #MAX_OUTPUT} bytes kept; the rest read and dropped. */
    private static final class Output implements Runnable {
        private final InputStream in;
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private boolean cut;

        Output(InputStream in) {
            this.in = in;
        }

        @Override
        public void run() {
            byte[] buffer = new byte[8192];
            try {
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    synchronized (this) {
                        int room = MAX_OUTPUT - kept.size();
                        kept.write(buffer, 0, Math.min(room, n));
                        cut |= n > room;
                    }
                }
            } catch (IOException e) {
                // closed by the caller: what was read is what there is
            }
        }

        synchronized String text() {
            String text = kept.toString(StandardCharsets.UTF_8).strip();
            return cut ? text + " ... (output cut)" : text;
        }
    }
}
