package io.jvmm.vmm;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A child process the VM needs (the monitor, virtiofsd, vhost-device-vsock). It dies with us: it is
 * started under {@code setpriv --pdeathsig KILL}, so the kernel kills it if this JVM dies, even by
 * SIGKILL. Its output goes to a log file next to the VM's sockets, bounded ({@link BoundedLog}): what it
 * prints may be driven by the guest. A monitor's standard output can be its guest's serial console,
 * drained into a log of its own.
 */
public final class SupervisedProcess implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(SupervisedProcess.class);
    private static final Path SETPRIV = Path.of("/usr/bin/setpriv");
    /**
     * The kernel sends the parent-death signal when the <em>thread</em> that started the child ends, not
     * the process: a VM started from a pooled handler thread was killed when that thread retired (seen:
     * twenty clones started from a pool all died with 137 when the pool shut down). Every child is started
     * from this one thread, which lives as long as the JVM.
     */
    private static final ExecutorService SPAWNER = Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().daemon(true).name("process-spawner").unstarted(r));

    private final String name;
    private final Process process;
    private final BoundedLog log;
    private final Optional<BoundedLog> console;

    private SupervisedProcess(String name, Process process, BoundedLog log, Optional<BoundedLog> console) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.console = console;
    }

    /** Starts {@code command}; what it writes to standard output and error goes to {@code log}. */
    public static SupervisedProcess start(String name, List<String> command, Path log) {
        return start(name, command, log, Optional.empty());
    }

    /** Starts {@code command}; its standard output goes to {@code console}, its standard error to {@code log}. */
    public static SupervisedProcess startWithConsole(String name, List<String> command, Path log, Path console) {
        return start(name, command, log, Optional.of(console));
    }

    private static SupervisedProcess start(String name, List<String> command, Path log, Optional<Path> console) {
        List<String> full = new ArrayList<>();
        if (Files.isExecutable(SETPRIV)) {
            full.addAll(List.of(SETPRIV.toString(), "--pdeathsig", "KILL", "--"));
        }
        full.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(full)
                .redirectErrorStream(console.isEmpty())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        try {
            Process p = spawn(builder);
            LOG.debug("started {} (pid {}): {}", name, p.pid(), String.join(" ", command));
            Optional<BoundedLog> consoleLog =
                    console.map(c -> BoundedLog.drain(p.getInputStream(), c, BoundedLog.DEFAULT_LIMIT));
            BoundedLog messages = BoundedLog.drain(
                    console.isPresent() ? p.getErrorStream() : p.getInputStream(), log, BoundedLog.DEFAULT_LIMIT);
            return new SupervisedProcess(name, p, messages, consoleLog);
        } catch (IOException e) {
            throw new VmException.BootFailed(
                    "cannot start " + name + " (" + command.getFirst() + "): " + e.getMessage(), e);
        }
    }

    private static Process spawn(ProcessBuilder builder) throws IOException {
        try {
            return SPAWNER.submit(builder::start).get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(
                    "interrupted while starting " + builder.command().getFirst(), e);
        }
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public CompletableFuture<Process> onExit() {
        return process.onExit();
    }

    public int exitValue() {
        return process.exitValue();
    }

    /** The last lines of the process's log, for error messages (all of them once it has ended). */
    public String logTail() {
        if (!process.isAlive()) {
            log.drained().completeOnTimeout(null, 1, TimeUnit.SECONDS).join();
        }
        return log.tail(5);
    }

    /** The guest's console, when this process's standard output is one. */
    public Optional<BoundedLog> console() {
        return console;
    }

    /**
     * SIGTERM, then SIGKILL after {@code grace}; returns true if it ended on SIGTERM. Its own children end
     * first ({@link #endChildrenFirst}).
     */
    public boolean stop(Duration grace) {
        if (!process.isAlive()) {
            return true;
        }
        endChildrenFirst();
        process.destroy();
        if (waitFor(grace)) {
            return true;
        }
        process.destroyForcibly();
        waitFor(Duration.ofSeconds(5));
        return false;
    }

    /** SIGTERM, without waiting. */
    public void terminate() {
        process.destroy();
    }

    /** SIGKILL, its own children first ({@link #endChildrenFirst}); waits up to 5 s for the exit. */
    public void kill() {
        endChildrenFirst();
        process.destroyForcibly();
        waitFor(Duration.ofSeconds(5));
    }

    /**
     * SIGKILL to the processes this one started (virtiofsd's sandboxed server is its child), and a wait (up
     * to 2 s) until this process has reaped them. Killed together, a child would be orphaned and left to
     * PID 1 to reap, which may take its time; until then it keeps the VM's cgroup leaf populated, and the
     * leaf cannot be removed (the soak found leaves left that way).
     */
    private void endChildrenFirst() {
        List<ProcessHandle> children = process.descendants().toList();
        if (children.isEmpty()) {
            return;
        }
        children.forEach(ProcessHandle::destroyForcibly);
        long deadline = System.nanoTime() + CHILDREN_REAPED.toNanos();
        while (children.stream().anyMatch(c -> Files.exists(Path.of("/proc", Long.toString(c.pid()))))
                && process.isAlive()
                && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static final Duration CHILDREN_REAPED = Duration.ofSeconds(2);

    public boolean waitFor(Duration timeout) {
        try {
            return process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(2));
    }
}
