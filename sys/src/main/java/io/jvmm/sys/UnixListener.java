package io.jvmm.sys;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A listening AF_UNIX stream socket through libc, for servers that take fds rather than NIO channels
 * (the plain ttrpc server). The socket file is its owner's alone and is removed on {@link #close()}.
 */
public final class UnixListener extends ListeningSocket {
    private final Path path;

    private UnixListener(int fd, Path path) {
        super(fd);
        this.path = path;
    }

    /** Binds {@code path} (which must not exist) and listens; only the owner may connect. */
    public static UnixListener bind(Path path, int backlog) throws IOException {
        int fd = Libc.socket(UnixAddress.AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined()) {
            Libc.bind(fd, UnixAddress.toNative(path, arena));
            // Before listen: nobody can connect while the file still has the umask's permissions.
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
            Libc.listen(fd, backlog);
            return new UnixListener(fd, path);
        } catch (IOException e) {
            Libc.close(fd);
            throw new IOException("cannot listen on " + path + ": " + e.getMessage(), e);
        }
    }

    public Path path() {
        return path;
    }

    /** Removes the socket's file, once. */
    @Override
    void afterClose() {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // the directory is gone or not ours any more: nothing left to remove
        }
    }

    /** Connects to the unix socket at {@code path}, as a blocking stream. */
    public static VsockStream connect(Path path) throws IOException {
        int fd = Libc.socket(UnixAddress.AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined()) {
            Libc.connect(fd, UnixAddress.toNative(path, arena));
            return new VsockStream(fd);
        } catch (IOException e) {
            Libc.close(fd);
            throw new IOException("cannot connect to " + path + ": " + e.getMessage(), e);
        }
    }
}
