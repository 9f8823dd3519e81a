package io.jvmm.sys;

import java.io.IOException;

/** A listening stream socket made through libc: accepts blocking, close-on-exec connections until closed. */
abstract class ListeningSocket implements FdAcceptor {
    static final int SOCK_STREAM = 1;
    static final int SOCK_CLOEXEC = 0x80000;

    private final int fd;
    private volatile boolean closed;

    ListeningSocket(int fd) {
        this.fd = fd;
    }

    /** Blocks until a peer connects; the returned fd is blocking and close-on-exec. */
    @Override
    public final int accept() throws IOException {
        if (closed) {
            throw new IOException("listener closed");
        }
        return Libc.accept(fd, SOCK_CLOEXEC);
    }

    @Override
    public final void close() {
        if (!closed) {
            closed = true;
            try {
                Libc.shutdown(fd, 2); // wakes a thread blocked in accept
            } catch (IOException e) {
                // not connected: nothing to wake
            }
            Libc.close(fd);
            afterClose();
        }
    }

    /** Runs once, after the socket is closed. */
    void afterClose() {}
}
