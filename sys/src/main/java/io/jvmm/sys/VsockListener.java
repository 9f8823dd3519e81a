package io.jvmm.sys;

import java.io.IOException;
import java.lang.foreign.Arena;

/** A listening AF_VSOCK socket; {@link #accept()} blocks and returns the new connection's fd. */
public final class VsockListener extends ListeningSocket {
    private final int port;

    private VsockListener(int fd, int port) {
        super(fd);
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
