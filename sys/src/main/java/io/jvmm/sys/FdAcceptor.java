package io.jvmm.sys;

import java.io.Closeable;
import java.io.IOException;

/** Something that hands out connected stream sockets as fds: an AF_VSOCK listener, or a mux port. */
public interface FdAcceptor extends Closeable {
    /** Blocks until a peer connects; the fd is blocking and close-on-exec, owned by the caller. */
    int accept() throws IOException;

    /** Blocks until a peer connects and wraps the connection as a blocking stream. */
    default VsockStream acceptStream() throws IOException {
        return new VsockStream(accept());
    }

    @Override
    void close();
}
