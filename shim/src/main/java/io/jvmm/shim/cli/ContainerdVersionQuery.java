package io.jvmm.shim.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Asks containerd's binary ({@code -publish-binary}) for its version ("containerd
 * github.com/containerd/containerd/v2 v2.1.9 ..."), which decides the format of start's answer
 * ({@link BootstrapAnswer#forVersion}). It is asked when start begins and runs on a thread of its own
 * while start works; {@link #version()} waits for it until the deadline, and a binary that has not
 * answered by then is killed and the version is unknown (start then answers with the plain address every
 * containerd reads), so a hung binary cannot hang start. A version learned is kept in a {@link VersionCache}
 * by the binary's identity, and a binary found there is not asked again.
 */
public final class ContainerdVersionQuery {
    static final Duration DEADLINE = Duration.ofSeconds(5);

    private final FutureTask<Optional<int[]>> answer;
    private final AtomicReference<Process> process = new AtomicReference<>();
    private final long deadlineNanos;

    private ContainerdVersionQuery(
            String binary, Duration deadline, Optional<int[]> known, Optional<String> toRecord, VersionCache cache) {
        this.answer = new FutureTask<>(() -> {
            if (known.isPresent()) {
                return known;
            }
            Optional<int[]> asked = ask(binary);
            if (asked.isPresent() && toRecord.isPresent()) {
                cache.record(toRecord.get(), asked.get());
            }
            return asked;
        });
        this.deadlineNanos = System.nanoTime() + deadline.toNanos();
    }

    /**
     * Starts asking, unless {@code cacheFile} knows the binary's version; an empty binary name (no
     * {@code -publish-binary}) asks nothing.
     */
    public static ContainerdVersionQuery start(String publishBinary, Path cacheFile) {
        return start(publishBinary, cacheFile, DEADLINE);
    }

    static ContainerdVersionQuery start(String publishBinary, Path cacheFile, Duration deadline) {
        VersionCache cache = new VersionCache(cacheFile);
        Optional<String> identity = publishBinary.isEmpty() ? Optional.empty() : VersionCache.identity(publishBinary);
        Optional<int[]> known = identity.flatMap(cache::lookUp);
        ContainerdVersionQuery query = new ContainerdVersionQuery(
                known.isPresent() ? "" : publishBinary, deadline, known, identity.filter(i -> known.isEmpty()), cache);
        if (known.isPresent() || publishBinary.isEmpty()) {
            query.answer.run(); // nothing to spawn
        } else {
            Thread.ofPlatform().daemon(true).name("containerd-version").start(query.answer);
        }
        return query;
    }

    /** The version as {major, minor}; empty when the binary is missing, unreadable or too slow. */
    public Optional<int[]> version() {
        try {
            return answer.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            kill();
            return Optional.empty();
        } catch (ExecutionException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
            return Optional.empty();
        }
    }

    private Optional<int[]> ask(String binary) throws IOException, InterruptedException {
        if (binary.isEmpty()) {
            return Optional.empty();
        }
        Process p = new ProcessBuilder(binary, "--version")
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        process.set(p);
        byte[] out = p.getInputStream().readAllBytes(); // ends when the process does, or when version() kills it
        p.waitFor(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        return BootstrapAnswer.parseVersion(new String(out, StandardCharsets.UTF_8));
    }

    private void kill() {
        answer.cancel(true);
        Process p = process.get();
        if (p != null) {
            p.destroyForcibly();
        }
    }
}
