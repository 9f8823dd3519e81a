package io.jvmm.guest;

import io.jvmm.sys.VsockStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntConsumer;

/**
 * Copies one output of a process (a pipe, or a terminal's master) to the host stream attached now.
 * A host stream that fails is let go of without closing the process's side: the pipe stays open, the
 * bytes in hand wait, and the next stream attached for this output carries on from them. That is how a
 * guest restored from a checkpoint gives a running process's output to the new host (its old streams
 * ended with the old session), and how runc's shim behaves when a client goes away: the container's
 * writes wait rather than fail. Once the process has exited, output with nowhere to go is dropped, so
 * its exit is not held up.
 */
final class OutputPump {
    private static final int CHUNK = 64 * 1024;

    private final String name;
    private final int fd;
    private final IntConsumer closeFd;
    final CompletableFuture<Void> drained = new CompletableFuture<>();
    private OutputStream sink;
    private Runnable closeSink;
    private boolean started;
    private boolean processExited;
    private boolean ended;

    OutputPump(String name, int fd, IntConsumer closeFd) {
        this.name = name;
        this.fd = fd;
        this.closeFd = closeFd;
    }

    /** Makes {@code host} this output's destination (replacing one still attached); starts copying on the first. */
    synchronized void attach(OutputStream host, Runnable closeHost) {
        if (ended) {
            closeHost.run();
            return;
        }
        if (sink != null) {
            closeSink.run();
        }
        sink = host;
        closeSink = closeHost;
        notifyAll();
        if (!started) {
            started = true;
            Thread.ofPlatform().name("stdio-" + name).daemon(true).start(this::copy);
        }
    }

    /** The process has exited: what cannot be delivered now is dropped instead of waiting for a host. */
    synchronized void processExited() {
        processExited = true;
        notifyAll();
    }

    /**
     * Ends the output (delete): the host stream is closed; the process's side is closed by the copier when
     * its read returns (closing it under a blocked read could hand the number to another open file).
     */
    synchronized void end() {
        processExited = true;
        if (!started) {
            finish();
            return;
        }
        if (sink != null) {
            closeSink.run();
            sink = null;
        }
        notifyAll();
    }

    private void copy() {
        byte[] buffer = new byte[CHUNK];
        try (InputStream in = new VsockStream(fd).inputStream()) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                if (!deliver(buffer, n)) {
                    break;
                }
            }
        } catch (IOException e) {
            // the process's side is gone: nothing more to copy
        } finally {
            synchronized (this) {
                finish();
            }
        }
    }

    /** Writes to the attached host, waiting for one if none is; false once the process exited with none. */
    private boolean deliver(byte[] buffer, int n) {
        while (true) {
            OutputStream out;
            synchronized (this) {
                while (sink == null && !processExited) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                }
                if (sink == null) {
                    return false;
                }
                out = sink;
            }
            try {
                out.write(buffer, 0, n);
                out.flush();
                return true;
            } catch (IOException e) {
                detach(out);
            }
        }
    }

    private synchronized void detach(OutputStream failed) {
        if (sink == failed) {
            closeSink.run();
            sink = null;
        }
    }

    private void finish() {
        if (ended) {
            return;
        }
        ended = true;
        if (sink != null) {
            closeSink.run();
            sink = null;
        }
        closeFd.accept(fd);
        drained.complete(null);
    }
}
