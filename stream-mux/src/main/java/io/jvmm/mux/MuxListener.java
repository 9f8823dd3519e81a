package io.jvmm.mux;

import io.jvmm.sys.FdAcceptor;
import io.jvmm.sys.Libc;
import java.io.IOException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A guest port of a {@link StreamMux}: each stream the host opens to it arrives as the fd of a connected
 * socket (the other half of a socketpair the mux pumps), as an AF_VSOCK listener's accept would give.
 */
public final class MuxListener implements FdAcceptor {
    private static final int CLOSED = -1;

    private final int port;
    private final LinkedBlockingQueue<Integer> accepted = new LinkedBlockingQueue<>();
    private volatile boolean closed;

    MuxListener(int port) {
        this.port = port;
    }

    public int port() {
        return port;
    }

    void offer(int fd) {
        if (closed) {
            Libc.close(fd);
        } else {
            accepted.add(fd);
        }
    }

    @Override
    public int accept() throws IOException {
        if (closed) {
            throw new IOException("listener closed");
        }
        try {
            int fd = accepted.take();
            if (fd == CLOSED) {
                accepted.add(CLOSED);
                throw new IOException("listener closed");
            }
            return fd;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    @Override
    public void close() {
        closed = true;
        accepted.add(CLOSED);
    }
}
