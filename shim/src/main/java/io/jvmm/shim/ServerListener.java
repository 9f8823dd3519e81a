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

    /**
     * Set to {@code launcher} by the launcher's start without a JVM (packaging/shim/start-fast.sh), which binds
     * and hands over the socket as the JVM's start does: only the server's first log line says so.
     */
    static final String STARTED_BY_VARIABLE = "JVMM_STARTED_BY";

    private final Path socket;
    private final OptionalInt inheritedFd;
    private final boolean byLauncher;
    private boolean served;

    private ServerListener(Path socket, OptionalInt inheritedFd, boolean byLauncher) {
        this.socket = socket;
        this.inheritedFd = inheritedFd;
        this.byLauncher = byLauncher;
    }

    static ServerListener fromEnvironment(Path socket) {
        return of(socket, System.getenv(FD_VARIABLE), System.getenv(STARTED_BY_VARIABLE));
    }

    static ServerListener of(Path socket, String fd, String startedBy) {
        if (fd == null || fd.isEmpty()) {
            return new ServerListener(socket, OptionalInt.empty(), false);
        }
        try {
            return new ServerListener(socket, OptionalInt.of(Integer.parseInt(fd)), "launcher".equals(startedBy));
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

    /** How the socket came to be, for the server's first log line. */
    @Override
    public String toString() {
        if (inheritedFd.isEmpty()) {
            return "bound by the server";
        }
        return byLauncher ? "bound by the launcher's start, without a JVM" : "bound by start";
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
