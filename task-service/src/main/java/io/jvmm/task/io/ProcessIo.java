package io.jvmm.task.io;

import io.jvmm.agent.client.StdioStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Copies one process's stdio between containerd's side (fifos, files, a logging binary) and the
 * guest's vsock streams, one thread per stream. Output is complete when {@link #awaitOutput} returns
 * true: only then may the process's exit be reported. The copier threads are this object's; closing it
 * ends them.
 */
public final class ProcessIo implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(ProcessIo.class);

    /** Opens one of the process's streams in the guest. */
    @FunctionalInterface
    public interface GuestStreams {
        StdioStream open(StdioStream.Kind kind) throws IOException;
    }

    private final String label;
    private final List<Thread> outputCopiers = new ArrayList<>();
    private final List<AutoCloseable> open = new ArrayList<>();
    private volatile StdioStream stdin;
    /** The shim's own writer of the stdin fifo, kept until CloseIO (see closeStdin). */
    private volatile FileChannel stdinHold;

    private volatile Thread stdinCopier;
    private BinaryLogger binary;

    private ProcessIo(String label) {
        this.label = label;
    }

    /** Starts copying; returns at once (opening a fifo waits for its other end, in the copier). */
    public static ProcessIo start(String label, StdioConfig config, GuestStreams guest, Map<String, String> binaryEnv)
            throws IOException {
        ProcessIo io = new ProcessIo(label);
        try {
            io.startOutputs(config, guest, binaryEnv);
            if (config.hasStdin()) {
                io.startStdin(IoTarget.parse(config.stdin(), "stdin"), guest);
            }
            return io;
        } catch (IOException | RuntimeException e) {
            io.close();
            throw e;
        }
    }

    private void startOutputs(StdioConfig config, GuestStreams guest, Map<String, String> binaryEnv)
            throws IOException {
        IoTarget out = IoTarget.parse(config.stdout(), "stdout");
        IoTarget err = config.terminal() ? new IoTarget.None() : IoTarget.parse(config.stderr(), "stderr");
        if (out instanceof IoTarget.Binary b) {
            binary = BinaryLogger.start(b, binaryEnv);
        } else if (err instanceof IoTarget.Binary b) {
            binary = BinaryLogger.start(b, binaryEnv);
        }
        if (!(out instanceof IoTarget.None)) {
            copyOut(StdioStream.Kind.STDOUT, guest, () -> sink(out, true));
        }
        if (!(err instanceof IoTarget.None)) {
            copyOut(StdioStream.Kind.STDERR, guest, () -> sink(err, false));
        }
    }

    private interface SinkOpener {
        OutputStream open() throws IOException;
    }

    private OutputStream sink(IoTarget target, boolean isStdout) throws IOException {
        return switch (target) {
            case IoTarget.Fifo f -> fifoWriter(f.path());
            case IoTarget.File f -> {
                Files.createDirectories(f.path().getParent());
                yield new FileOutputStream(f.path().toFile(), true);
            }
            case IoTarget.Binary b -> isStdout ? binary.stdout() : binary.stderr();
            case IoTarget.None n -> OutputStream.nullOutputStream();
        };
    }

    /**
     * Opens an output fifo read-write, as runc's shim does: the open does not wait for a reader, and while
     * this end is open a client that goes away (ctr killed, or a non-terminal {@code ctr container restore}
     * that returns) does not make the writes fail: they fill the fifo and wait, and a client that opens it
     * again ({@code ctr task attach}) reads on from there. The client still sees end-of-file once the
     * stream ends, because this is then the last writer closing.
     */
    private static OutputStream fifoWriter(Path fifo) throws IOException {
        if (!Files.exists(fifo)) {
            throw new IOException("output fifo " + fifo + " does not exist");
        }
        FileChannel channel = FileChannel.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE);
        return Channels.newOutputStream(channel);
    }

    private void copyOut(StdioStream.Kind kind, GuestStreams guest, SinkOpener sinkOpener) throws IOException {
        StdioStream stream = guest.open(kind);
        track(stream);
        Thread t = Thread.ofPlatform()
                .daemon(true)
                .name(kind.name().toLowerCase(Locale.ROOT) + "-" + label)
                .unstarted(() -> {
                    try (stream;
                            OutputStream out = sinkOpener.open()) {
                        stream.input().transferTo(out);
                    } catch (IOException e) {
                        LOG.debug("{} of {} ended: {}", kind, label, e.getMessage());
                    }
                });
        outputCopiers.add(t);
        t.start();
    }

    private void startStdin(IoTarget source, GuestStreams guest) throws IOException {
        if (!(source instanceof IoTarget.Fifo fifo)) {
            throw new IOException("stdin must be a fifo path, not " + source);
        }
        if (!Files.exists(fifo.path())) {
            throw new IOException("stdin fifo " + fifo.path() + " does not exist");
        }
        stdin = guest.open(StdioStream.Kind.STDIN);
        track(stdin);
        // Opened read-write first, so that neither open waits for the client; see closeStdin for why the
        // shim keeps a writer of its own.
        FileChannel hold = FileChannel.open(fifo.path(), StandardOpenOption.READ, StandardOpenOption.WRITE);
        stdinHold = hold;
        track(hold);
        FileChannel reader = FileChannel.open(fifo.path(), StandardOpenOption.READ);
        track(reader);
        stdinCopier = Thread.ofPlatform().daemon(true).name("stdin-" + label).start(() -> copyStdin(reader));
    }

    /**
     * Copies the fifo to the guest until end of file, then ends the guest's stream. A FileChannel, because
     * closing it wakes a read blocked on an open but silent fifo ({@link #close}); and by hand, because
     * FileChannel's own transfer seeks, which a fifo cannot.
     */
    private void copyStdin(FileChannel reader) {
        byte[] chunk = new byte[32 * 1024];
        ByteBuffer buffer = ByteBuffer.wrap(chunk);
        try (reader) {
            OutputStream out = stdin.output();
            int n;
            while ((n = reader.read(buffer.clear())) >= 0) {
                out.write(chunk, 0, n);
            }
        } catch (IOException e) {
            LOG.debug("stdin of {} ended: {}", label, e.getMessage());
        } finally {
            endGuestStdin();
        }
    }

    private synchronized void track(AutoCloseable c) {
        open.add(c);
    }

    /**
     * CloseIO: the process gets end of file once it has read everything the client wrote. The client
     * (ctr, containerd's CRI) asks for it before closing its own end of the fifo, with its last bytes
     * possibly still in the fifo, so ending the guest's stream here would drop them. As runc's shim does,
     * this drops the shim's own writer instead; the copier reads on to end of file, which comes when the
     * client's end closes too, and ends the guest's stream itself.
     */
    public void closeStdin() {
        FileChannel hold = stdinHold;
        if (hold == null) {
            return;
        }
        try {
            hold.close();
        } catch (IOException e) {
            LOG.debug("closing the stdin fifo of {}: {}", label, e.getMessage());
        }
    }

    /** True once the stdin copier has passed everything on and ended the guest's stream (tests). */
    boolean stdinDrained(Duration timeout) throws InterruptedException {
        Thread copier = stdinCopier;
        return copier == null || copier.join(timeout);
    }

    private void endGuestStdin() {
        try {
            stdin.closeOutput();
        } catch (IOException e) {
            LOG.debug("ending stdin of {}: {}", label, e.getMessage());
        }
    }

    /** Waits until every output stream reached its end and was written out; false at the deadline. */
    public boolean awaitOutput(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            for (Thread t : outputCopiers) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !t.join(Duration.ofNanos(left))) {
                    return false;
                }
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public synchronized void close() {
        for (AutoCloseable c : open) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debug("closing stdio of {}: {}", label, e.getMessage());
            }
        }
        open.clear();
        if (binary != null) {
            binary.close();
        }
    }
}
