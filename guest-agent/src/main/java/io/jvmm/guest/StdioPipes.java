package io.jvmm.guest;

import io.jvmm.api.agent.v1.StdioSpec;
import io.jvmm.guest.sys.GuestSyscalls;
import io.jvmm.ttrpc.vsock.Libc;
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
    private int stdoutFd = -1;
    private int stderrFd = -1;
    final CompletableFuture<Void> stdoutDrained = new CompletableFuture<>();
    final CompletableFuture<Void> stderrDrained = new CompletableFuture<>();

    /** A terminal: the pty master crun sent over the console socket is both the input and the output. */
    static StdioPipes terminal(Path dir, StdioSpec spec, int master) {
        return new StdioPipes(dir, spec, master);
    }

    private StdioPipes(Path dir, StdioSpec spec, int master) {
        this.dir = dir;
        this.spec = spec;
        this.terminal = true;
        this.stdinFd = master;
        this.stdoutFd = master;
        stderrDrained.complete(null); // a terminal has no separate stderr
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
        stdoutFd = spec.getStdout() ? openReader("stdout") : -1;
        stderrFd = spec.getStderr() ? openReader("stderr") : -1;
        if (!spec.getStdout()) {
            stdoutDrained.complete(null);
        }
        if (!spec.getStderr()) {
            stderrDrained.complete(null);
        }
    }

    private int openReader(String name) throws IOException {
        GuestSyscalls.mkfifo(path(name), 0600);
        int fd = GuestSyscalls.open(path(name), GuestSyscalls.O_RDONLY | GuestSyscalls.O_NONBLOCK | GuestSyscalls.O_CLOEXEC, 0);
        GuestSyscalls.setBlocking(fd);
        return fd;
    }

    private String path(String name) {
        return dir.resolve(name).toString();
    }

    Redirect stdinRedirect() {
        return spec.getStdin() && !terminal ? Redirect.from(dir.resolve("stdin").toFile()) : Redirect.from(new java.io.File("/dev/null"));
    }

    Redirect stdoutRedirect() {
        return spec.getStdout() && !terminal ? Redirect.to(dir.resolve("stdout").toFile()) : Redirect.DISCARD;
    }

    Redirect stderrRedirect() {
        return spec.getStderr() && !terminal ? Redirect.to(dir.resolve("stderr").toFile()) : Redirect.DISCARD;
    }

    /** Copies one output pipe to the host's stream until the process side closes it. */
    void pumpOutput(String stream, OutputStream host, Runnable closeHost) {
        int fd = stream.equals("stdout") ? stdoutFd : stderrFd;
        CompletableFuture<Void> drained = stream.equals("stdout") ? stdoutDrained : stderrDrained;
        if (fd < 0) {
            closeHost.run();
            return;
        }
        Thread.ofPlatform().name("stdio-" + stream).daemon(true).start(() -> {
            try (InputStream in = new io.jvmm.ttrpc.vsock.VsockStream(fd).inputStream()) {
                in.transferTo(host);
            } catch (IOException e) {
                // the host went away: the process's output has nowhere to go
            } finally {
                closeHost.run();
                synchronized (this) {
                    if (!terminal) {
                        Libc.close(fd);
                    }
                    if (stream.equals("stdout")) {
                        stdoutFd = -1;
                    } else {
                        stderrFd = -1;
                    }
                }
                drained.complete(null);
            }
        });
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
                OutputStream out = new io.jvmm.ttrpc.vsock.VsockStream(fd).outputStream();
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
                new io.jvmm.ttrpc.vsock.VsockStream(stdinFd).outputStream().write(4);
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
            throw new IllegalStateException("process has no terminal");
        }
        io.jvmm.guest.sys.GuestSyscalls.resizeTerminal(stdinFd, width, height);
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
            stdoutFd = -1;
            stdoutDrained.complete(null);
            return;
        }
        closeStdin();
        if (stdoutFd >= 0) {
            Libc.close(stdoutFd);
            stdoutFd = -1;
        }
        if (stderrFd >= 0) {
            Libc.close(stderrFd);
            stderrFd = -1;
        }
        stdoutDrained.complete(null);
        stderrDrained.complete(null);
    }
}
