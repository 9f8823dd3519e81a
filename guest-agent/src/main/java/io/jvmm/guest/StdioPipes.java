package io.jvmm.guest;

import io.jvmm.api.agent.v1.StdioSpec;
import io.jvmm.guest.sys.GuestSyscalls;
import io.jvmm.sys.Libc;
import io.jvmm.sys.VsockStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * A process's stdio as named pipes in its io directory. crun is given the pipes by path (Java's own
 * process pipes would be drained and closed when crun exits, while the container still writes).
 * The agent opens its ends first, so crun's open never blocks, and keeps them until the streams are
 * copied to the host, so output waits in the pipe (and the writer blocks) until the host reads it.
 */
final class StdioPipes implements AutoCloseable {
    private final Path dir;
    private final StdioSpec spec;
    /** In terminal mode one pty master carries input and output. */
    private final boolean terminal;

    private int stdinFd = -1;
    /** Absent when the process has no such output. */
    private final OutputPump stdout;

    private final OutputPump stderr;
    final CompletableFuture<Void> stdoutDrained;
    final CompletableFuture<Void> stderrDrained;

    /** A terminal: the pty master crun sent over the console socket is both the input and the output. */
    static StdioPipes terminal(Path dir, StdioSpec spec, int master) {
        return new StdioPipes(dir, spec, master);
    }

    private StdioPipes(Path dir, StdioSpec spec, int master) {
        this.dir = dir;
        this.spec = spec;
        this.terminal = true;
        this.stdinFd = master;
        this.stdout = new OutputPump("stdout", master, fd -> {}); // the master is closed with stdin
        this.stderr = null; // a terminal has no separate stderr
        this.stdoutDrained = stdout.drained;
        this.stderrDrained = CompletableFuture.completedFuture(null);
    }

    StdioPipes(Path dir, StdioSpec spec) throws IOException {
        this.dir = dir;
        this.spec = spec;
        this.terminal = false;
        Files.createDirectories(dir);
        if (spec.getStdin()) {
            GuestSyscalls.mkfifo(path("stdin"), 0600);
            // Read-write, so this open does not wait for a reader; closing it is the container's EOF.
            stdinFd = GuestSyscalls.open(path("stdin"), GuestSyscalls.O_RDWR | GuestSyscalls.O_CLOEXEC, 0);
        }
        stdout = spec.getStdout() ? new OutputPump("stdout", openReader("stdout"), Libc::close) : null;
        stderr = spec.getStderr() ? new OutputPump("stderr", openReader("stderr"), Libc::close) : null;
        stdoutDrained = stdout == null ? CompletableFuture.completedFuture(null) : stdout.drained;
        stderrDrained = stderr == null ? CompletableFuture.completedFuture(null) : stderr.drained;
    }

    private int openReader(String name) throws IOException {
        GuestSyscalls.mkfifo(path(name), 0600);
        int fd = GuestSyscalls.open(
                path(name), GuestSyscalls.O_RDONLY | GuestSyscalls.O_NONBLOCK | GuestSyscalls.O_CLOEXEC, 0);
        GuestSyscalls.setBlocking(fd);
        return fd;
    }

    private String path(String name) {
        return dir.resolve(name).toString();
    }

    Redirect stdinRedirect() {
        return spec.getStdin() && !terminal
                ? Redirect.from(dir.resolve("stdin").toFile())
                : Redirect.from(new File("/dev/null"));
    }

    Redirect stdoutRedirect() {
        return spec.getStdout() && !terminal ? Redirect.to(dir.resolve("stdout").toFile()) : Redirect.DISCARD;
    }

    Redirect stderrRedirect() {
        return spec.getStderr() && !terminal ? Redirect.to(dir.resolve("stderr").toFile()) : Redirect.DISCARD;
    }

    /**
     * Copies one output to the host's stream until the process side closes it; a later call for the same
     * output (a new host, after a restore) takes over from where the failed stream left off.
     */
    void pumpOutput(String stream, OutputStream host, Runnable closeHost) {
        OutputPump pump = stream.equals("stdout") ? stdout : stderr;
        if (pump == null) {
            closeHost.run();
            return;
        }
        pump.attach(host, closeHost);
    }

    /** The process has exited: output no host is attached for is dropped, so its exit is not held up. */
    void processExited() {
        if (stdout != null) {
            stdout.processExited();
        }
        if (stderr != null) {
            stderr.processExited();
        }
    }

    /** Copies the host's stdin stream into the process until the host closes it. */
    void pumpInput(InputStream host, Runnable closeHost) {
        int fd = stdinFd;
        if (fd < 0) {
            closeHost.run();
            return;
        }
        Thread.ofPlatform().name("stdio-stdin").daemon(true).start(() -> {
            try {
                OutputStream out = new VsockStream(fd).outputStream();
                byte[] buffer = new byte[64 * 1024];
                for (int n = host.read(buffer); n >= 0; n = host.read(buffer)) {
                    out.write(buffer, 0, n);
                }
            } catch (IOException e) {
                // the process closed its stdin, or the host went away
            } finally {
                closeHost.run();
                if (!terminal) {
                    closeStdin();
                }
            }
        });
    }

    /** End of input: the pipe is closed; on a terminal, EOT (Ctrl-D) is typed instead, as a person would. */
    synchronized void closeStdin() {
        if (stdinFd < 0) {
            return;
        }
        if (terminal) {
            try {
                new VsockStream(stdinFd).outputStream().write(4);
            } catch (IOException e) {
                // the terminal is gone
            }
            return;
        }
        Libc.close(stdinFd);
        stdinFd = -1;
    }

    void resize(int width, int height) throws IOException {
        if (!terminal) {
            throw Refusal.failedPrecondition("process has no terminal");
        }
        GuestSyscalls.resizeTerminal(stdinFd, width, height);
    }

    boolean isTerminal() {
        return terminal;
    }

    @Override
    public synchronized void close() {
        if (terminal) {
            if (stdinFd >= 0) {
                Libc.close(stdinFd);
            }
            stdinFd = -1;
        } else {
            closeStdin();
        }
        if (stdout != null) {
            stdout.end();
        }
        if (stderr != null) {
            stderr.end();
        }
    }
}
