package io.jvmm.task.io;

import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@code binary://} logger as containerd's shims run it: the program reads the container's stdout on
 * fd 3 and stderr on fd 4 and closes fd 5 once it is ready; it gets CONTAINER_ID and CONTAINER_NAMESPACE.
 * Java cannot hand a child extra descriptors, so three fifos in a private directory stand in for the
 * pipes and the shell that execs the program opens them as fds 3, 4 and 5.
 */
final class BinaryLogger implements AutoCloseable {
    private static final long READY_TIMEOUT_SECONDS = 10;

    private final Path dir;
    private final Process process;
    private final CompletableFuture<OutputStream> stdout = new CompletableFuture<>();
    private final CompletableFuture<OutputStream> stderr = new CompletableFuture<>();

    private BinaryLogger(Path dir, Process process) {
        this.dir = dir;
        this.process = process;
    }

    static BinaryLogger start(IoTarget.Binary target, Map<String, String> env) throws IOException {
        if (!Files.isExecutable(target.path())) {
            throw new IOException("logging binary " + target.path() + " is not an executable file");
        }
        Path dir = Files.createTempDirectory("jvmm-binary-io");
        for (String fifo : List.of("out", "err", "ready")) {
            mkfifo(dir.resolve(fifo));
        }
        List<String> command = new ArrayList<>(List.of(
                "/bin/sh",
                "-c",
                "exec \"$0\" \"$@\" 3<\"$JVMM_IO/out\" 4<\"$JVMM_IO/err\" 5>\"$JVMM_IO/ready\"",
                target.path().toString()));
        command.addAll(target.args());
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().putAll(env);
        pb.environment().put("JVMM_IO", dir.toString());
        BinaryLogger logger = new BinaryLogger(dir, pb.start());
        logger.connect();
        return logger;
    }

    /** Opens our ends in the order the shell opens its own, then waits for the program's ready signal. */
    private void connect() throws IOException {
        Thread.ofPlatform().daemon(true).name("binary-io").start(() -> {
            try {
                stdout.complete(new FileOutputStream(dir.resolve("out").toFile()));
                stderr.complete(new FileOutputStream(dir.resolve("err").toFile()));
                try (InputStream ready =
                        new FileInputStream(dir.resolve("ready").toFile())) {
                    ready.readAllBytes();
                }
            } catch (IOException e) {
                stdout.completeExceptionally(e);
                stderr.completeExceptionally(e);
            }
        });
        try {
            stdout.get(READY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            stderr.get(READY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            close();
            throw new IOException("logging binary did not open its pipes: " + e.getMessage(), e);
        }
    }

    OutputStream stdout() {
        return stdout.join();
    }

    OutputStream stderr() {
        return stderr.join();
    }

    private static void mkfifo(Path path) throws IOException {
        try {
            Process p = new ProcessBuilder("mkfifo", "-m", "0600", path.toString()).start();
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("mkfifo " + path + " failed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Our ends close (the program sees end of file and exits on its own); then the fifos go. */
    @Override
    public void close() {
        for (CompletableFuture<OutputStream> f : List.of(stdout, stderr)) {
            f.thenAccept(s -> {
                try {
                    s.close();
                } catch (IOException e) {
                    // already closed
                }
            });
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // a temp directory
        }
    }
}
