package io.jvmm.shim;

import io.jvmm.ttrpc.InheritedListener;
import io.jvmm.ttrpc.TtrpcServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * Where the server listens: the socket {@code start} bound and handed over as the server's standard input
 * (named by {@link #FD_VARIABLE}), or, when run without one, a socket the server binds itself. Until the
 * ttrpc server takes the inherited descriptor this owns it, so a server that fails before serving closes
 * it and leaves no socket or lock file behind.
 */
final class ServerListener {
    /** The environment variable through which {@code start} tells its server which descriptor to serve. */
    static final String FD_VARIABLE = "JVMM_LISTENER_FD";

    private final Path socket;
    private final OptionalInt inheritedFd;
    private boolean served;

    private ServerListener(Path socket, OptionalInt inheritedFd) {
        this.socket = socket;
        this.inheritedFd = inheritedFd;
    }

    static ServerListener fromEnvironment(Path socket) {
        String fd = System.getenv(FD_VARIABLE);
        if (fd == null || fd.isEmpty()) {
            return new ServerListener(socket, OptionalInt.empty());
        }
        try {
            return new ServerListener(socket, OptionalInt.of(Integer.parseInt(fd)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(FD_VARIABLE + " must be a descriptor number, not " + fd);
        }
    }

    Path socket() {
        return socket;
    }

    TtrpcServer serve(TtrpcServer.Builder builder) throws IOException {
        TtrpcServer server =
                inheritedFd.isPresent() ? builder.adopt(inheritedFd.getAsInt(), socket) : builder.bind(socket);
        served = true;
        return server;
    }

    /** The server could not start: stop answering on the address and remove the group's files. */
    void abandon() throws IOException {
        if (served || inheritedFd.isEmpty()) {
            return;
        }
        InheritedListener.close(inheritedFd.getAsInt());
        StartAction.removeGroupFiles(socket);
    }
}
