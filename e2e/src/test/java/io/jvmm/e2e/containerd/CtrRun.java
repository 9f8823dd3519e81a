package io.jvmm.e2e.containerd;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/** A running {@code ctr} process whose stdin the test writes and whose stdout/stderr it collects. */
final class CtrRun implements AutoCloseable {
    private final Process process;
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final Thread outReader;
    private final Thread errReader;

    private CtrRun(Process process) {
        this.process = process;
        this.outReader = Thread.ofVirtual().start(() -> copy(process.getInputStream(), stdout));
        this.errReader = Thread.ofVirtual().start(() -> copy(process.getErrorStream(), stderr));
    }

    static CtrRun start(PrivateContainerd containerd, List<String> args) throws IOException {
        return start(containerd, args, false);
    }

    /** With {@code terminal}, ctr runs under script(1), which gives it a pseudo-terminal as its stdin and stdout. */
    static CtrRun start(PrivateContainerd containerd, List<String> args, boolean terminal) throws IOException {
        List<String> ctr = containerd.ctrCommand(args);
        List<String> command = terminal ? List.of("script", "-qec", shellQuote(ctr), "/dev/null") : ctr;
        return new CtrRun(new ProcessBuilder(command).start());
    }

    private static String shellQuote(List<String> words) {
        StringBuilder b = new StringBuilder();
        for (String w : words) {
            b.append('\'').append(w.replace("'", "'\\''")).append("' ");
        }
        return b.toString();
    }

    OutputStream stdin() {
        return process.getOutputStream();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILLs ctr (a client that goes away) and waits for it to end. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    void writeLine(String line) throws IOException {
        stdin().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        stdin().flush();
    }

    /** Waits until ctr's stdout is exactly {@code expected}; fails if ctr ends first or at the deadline. */
    void awaitStdout(String expected, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!stdout().equals(expected)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("stdout " + stdout() + " (stderr " + stderr() + ") is still not " + expected);
            }
            if (!isAlive() && !stdout().equals(expected)) {
                throw new AssertionError(
                        "ctr ended before " + expected + " arrived; stdout " + stdout() + ", stderr " + stderr());
            }
            Thread.sleep(20);
        }
    }

    /** Waits for ctr to exit; returns its exit code. */
    int await(long seconds) throws InterruptedException, IOException {
        return await(seconds, () -> "");
    }

    /**
     * Waits for ctr to exit; returns its exit code. At the deadline, {@code diagnosis} describes the state of
     * what ctr waited for (taken while it still waits) for the failure's message.
     */
    int await(long seconds, Callable<String> diagnosis) throws InterruptedException, IOException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            String state;
            try {
                state = diagnosis.call();
            } catch (Exception e) {
                state = "(no diagnosis: " + e + ")";
            }
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new IOException("ctr did not finish within " + seconds + " s; stdout so far " + stdoutBytes().length
                    + " bytes; stderr: " + stderr() + "\n" + state);
        }
        outReader.join(10_000);
        errReader.join(10_000);
        return process.exitValue();
    }

    synchronized byte[] stdoutBytes() {
        synchronized (stdout) {
            return stdout.toByteArray();
        }
    }

    String stdout() {
        return new String(stdoutBytes(), StandardCharsets.UTF_8);
    }

    String stderr() {
        synchronized (stderr) {
            return stderr.toString(StandardCharsets.UTF_8);
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        byte[] buf = new byte[65536];
        try (in) {
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                synchronized (out) {
                    out.write(buf, 0, n);
                }
            }
        } catch (IOException e) {
            // the process ended
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
