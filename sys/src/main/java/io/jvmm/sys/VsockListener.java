package io.jvmm.sys;

import java.io.IOException;
import java.lang.foreign.Arena;

/** A listening AF_VSOCK socket; {@link #accept()} blocks and returns the new connection's fd. */
public final class VsockListener implements FdAcceptor {
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = 0x80000;

    private final int fd;
    private final int port;
    private volatile boolean closed;

    private VsockListener(int fd, int port) {
        this.fd = fd;
        this.port = port;
    }

    public static VsockListener bind(int port, int backlog) throws IOException {
        int fd = Libc.socket(VsockAddress.AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined()) {
            Libc.bind(fd, new VsockAddress(VsockAddress.CID_ANY, port).toNative(arena));
            Libc.listen(fd, backlog);
            return new VsockListener(fd, port);
        } catch (IOException e) {
            Libc.close(fd);
            throw new IOException("cannot listen on vsock port " + port + ": " + e.getMessage(), e);
        }
    }

    public int port() {
        return port;
    }

    /** Blocks until a peer connects; the returned fd is blocking and close-on-exec. */
    @Override
    public int accept() throws IOException {
        if (closed) {
            throw new IOException("listener closed");
        }
        return Libc.accept(fd, SOCK_CLOEXEC);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            try {
                Libc.shutdown(fd, 2); // wakes a thread blocked in accept
            } catch (IOException e) {
                // not connected: nothing to wake
            }
            Libc.close(fd);
        }
    }

    /** Connects to a vsock address (from a guest, usually {@link VsockAddress#CID_HOST}). */
    public static VsockStream connect(VsockAddress address) throws IOException {
        int fd = Libc.socket(VsockAddress.AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined()) {
            Libc.connect(fd, address.toNative(arena));
            return new VsockStream(fd);
        } catch (IOException e) {
            Libc.close(fd);
            throw new IOException("cannot connect to " + address + ": " + e.getMessage(), e);
        }
    }
}
