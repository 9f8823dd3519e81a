package io.jvmm.ttrpc.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The reference Go ttrpc peer (src/test/go/ttrpcpeer), built from Debian's containerd/ttrpc package
 * by scripts/build-go-peer.sh. Interop tests require it: scripts/install-test-deps.sh installs the
 * toolchain, and a missing toolchain fails the tests instead of skipping them.
 */
public final class GoPeer {
    private static Path binary;

    private GoPeer() {}

    public static synchronized Path binary() {
        if (binary == null) {
            Path root = repoRoot();
            Result build =
                    run(List.of("bash", root.resolve("scripts/build-go-peer.sh").toString()), 300);
            if (build.exitCode() != 0) {
                throw new IllegalStateException(
                        "building the Go ttrpc peer failed (run scripts/install-test-deps.sh):\n" + build.stderr());
            }
            binary = Path.of(build.stdout().strip());
        }
        return binary;
    }

    public static Path repoRoot() {
        String root = System.getProperty("jvmm.repo.root");
        Path dir = root != null ? Path.of(root) : Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("scripts/build-go-peer.sh"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("cannot find the repository root (scripts/build-go-peer.sh)");
        }
        return dir;
    }

    /** Starts the Go server on {@code socket} and waits until it listens. */
    public static Server server(Path socket) throws IOException {
        Process process = new ProcessBuilder(binary().toString(), "server", socket.toString())
                .redirectErrorStream(true)
                .start();
        BufferedReader out =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.startsWith("listening")) {
            process.destroyForcibly();
            throw new IOException("Go peer did not start: " + line);
        }
        Thread drain = Thread.ofVirtual().start(() -> drain(out));
        return new Server(process, drain);
    }

    /** Runs one client scenario of the Go peer against {@code socket}. */
    public static Result client(Path socket, String scenario) {
        return run(List.of(binary().toString(), "client", socket.toString(), scenario), 120);
    }

    public static Result run(List<String> command, int timeoutSeconds) {
        try {
            Process p = new ProcessBuilder(command).start();
            byte[][] streams = new byte[2][];
            Thread out = Thread.ofVirtual().start(() -> streams[0] = readAll(p.getInputStream()));
            Thread err = Thread.ofVirtual().start(() -> streams[1] = readAll(p.getErrorStream()));
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                out.join();
                err.join();
                return new Result(
                        -1, new String(streams[0], StandardCharsets.UTF_8), "timed out after " + timeoutSeconds + " s");
            }
            out.join();
            err.join();
            return new Result(
                    p.exitValue(),
                    new String(streams[0], StandardCharsets.UTF_8),
                    new String(streams[1], StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static byte[] readAll(InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    private static void drain(BufferedReader out) {
        try (out) {
            List<String> ignored = new ArrayList<>();
            while (out.readLine() != null) {
                ignored.clear();
            }
        } catch (IOException e) {
            // process ended
        }
    }

    public record Result(int exitCode, String stdout, String stderr) {}

    /** A running Go server; closing it terminates the process and waits for it. */
    public record Server(Process process, Thread drain) implements AutoCloseable {
        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            drain.join(2000);
        }
    }
}
