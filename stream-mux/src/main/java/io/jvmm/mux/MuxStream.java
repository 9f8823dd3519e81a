package io.jvmm.mux;

import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One stream of a {@link StreamMux}: a pump from the local socket to the peer, sending no more than the
 * peer's credit (back-pressure), and a writer from the peer's frames to the local socket, granting credit
 * back as bytes are delivered. End of stream travels as EOF in each direction; an error either side is a RESET.
 */
final class MuxStream {
    /** Bytes either side may have in flight per stream before the other grants more. */
    static final int WINDOW = 256 * 1024;

    static final int CHUNK = 32 * 1024;
    private static final byte[] END = new byte[0];

    final int id;
    private final StreamMux mux;
    private final MuxEndpoint local;
    private final LinkedBlockingQueue<byte[]> inbound = new LinkedBlockingQueue<>();
    /** The peer sent EOF (read and written by the mux's reader thread only). */
    private boolean peerEnded;

    private final AtomicInteger unconsumed = new AtomicInteger();
    private final AtomicBoolean reset = new AtomicBoolean();
    private final AtomicInteger running = new AtomicInteger(2);
    private int sendCredit = WINDOW; // guarded by this

    MuxStream(int id, StreamMux mux, MuxEndpoint local) {
        this.id = id;
        this.mux = mux;
        this.local = local;
    }

    void start() {
        Thread.ofPlatform().daemon(true).name("mux-" + id + "-out").start(this::pumpOut);
        Thread.ofPlatform().daemon(true).name("mux-" + id + "-in").start(this::pumpIn);
    }

    /** Local socket → peer, within credit. */
    private void pumpOut() {
        byte[] buffer = new byte[CHUNK];
        try {
            while (!reset.get()) {
                int allowed = awaitCredit();
                if (allowed == 0) {
                    return;
                }
                int n = local.read(buffer, Math.min(allowed, CHUNK));
                if (n < 0) {
                    mux.send(this, new MuxFrame(MuxFrame.Kind.EOF, id, new byte[0]));
                    return;
                }
                if (n > 0) {
                    takeCredit(n);
                    mux.send(this, new MuxFrame(MuxFrame.Kind.DATA, id, Arrays.copyOf(buffer, n)));
                }
            }
        } catch (IOException e) {
            resetLocally("local read or pipe write failed: " + e.getMessage());
        } finally {
            finished();
        }
    }

    /** Peer → local socket, granting credit for what was delivered. */
    private void pumpIn() {
        try {
            while (true) {
                byte[] chunk = inbound.take();
                if (reset.get()) {
                    return;
                }
                if (chunk == END) {
                    local.shutdownOutput();
                    return;
                }
                local.write(chunk, 0, chunk.length);
                unconsumed.addAndGet(-chunk.length);
                mux.send(this, MuxFrame.withInt(MuxFrame.Kind.CREDIT, id, chunk.length));
            }
        } catch (IOException e) {
            resetLocally("local write failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            finished();
        }
    }

    private synchronized int awaitCredit() {
        while (sendCredit == 0 && !reset.get()) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 0;
            }
        }
        return reset.get() ? 0 : sendCredit;
    }

    private synchronized void takeCredit(int n) {
        sendCredit -= n;
    }

    /**
     * A frame from the peer for this stream (called by the mux's single reader thread). Each frame queued
     * costs memory whatever its size, so a peer cannot queue more than the window's bytes and one end: an
     * empty DATA frame is dropped, and DATA or EOF after EOF is a protocol error.
     */
    void receive(MuxFrame frame) throws MuxProtocolException {
        switch (frame.kind()) {
            case DATA -> {
                if (peerEnded) {
                    throw new MuxProtocolException("stream " + id + ": data after end of stream");
                }
                if (frame.payload().length == 0) {
                    return;
                }
                if (unconsumed.addAndGet(frame.payload().length) > WINDOW) {
                    throw new MuxProtocolException("stream " + id + ": peer sent beyond its credit");
                }
                inbound.add(frame.payload());
            }
            case CREDIT -> {
                int n = frame.intPayload();
                synchronized (this) {
                    if (n <= 0 || (long) sendCredit + n > WINDOW) {
                        throw new MuxProtocolException("stream " + id + ": credit " + n + " beyond the window");
                    }
                    sendCredit += n;
                    notifyAll();
                }
            }
            case EOF -> {
                if (peerEnded) {
                    throw new MuxProtocolException("stream " + id + ": end of stream twice");
                }
                peerEnded = true;
                inbound.add(END);
            }
            case RESET -> resetQuietly();
            default -> throw new MuxProtocolException(frame.kind() + " on open stream " + id);
        }
    }

    /** Ends the stream because of a local failure and tells the peer. */
    private void resetLocally(String why) {
        if (!reset.get()) {
            MuxLog.get().debug("mux stream {} reset: {}", id, why);
            try {
                mux.send(new MuxFrame(MuxFrame.Kind.RESET, id, new byte[0]));
            } catch (IOException e) {
                // the pipe is gone: the peer learns of it from that
            }
        }
        resetQuietly();
    }

    boolean isReset() {
        return reset.get();
    }

    /** Ends the stream without telling the peer (it reset it, or the session is over). */
    void resetQuietly() {
        if (reset.compareAndSet(false, true)) {
            local.abort(); // wakes a pump blocked in read; finished() closes
            inbound.add(END);
            synchronized (this) {
                notifyAll();
            }
        }
    }

    private void finished() {
        if (running.decrementAndGet() == 0) {
            local.close();
            mux.forget(this);
        }
    }
}
