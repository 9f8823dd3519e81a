package io.jvmm.shim.cli;

import io.jvmm.api.Sha256;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Where a shim listens, derived as containerd's own shims do (pkg/shim SocketAddress): the hex SHA-256 of
 * {@code <containerd address>/<namespace>/<group id>} under /run/containerd/s.
 */
public final class SocketAddress {
    public static final Path DEFAULT_DIR = Path.of("/run/containerd/s");

    private SocketAddress() {}

    public static Path socketPath(Path dir, String containerdAddress, String namespace, String groupId) {
        // filepath.Join: cleans the joined path (a trailing slash on the address does not change the hash).
        String joined =
                Path.of(containerdAddress, namespace, groupId).normalize().toString();
        return dir.resolve(Sha256.hex(joined));
    }

    /**
     * The group's socket for {@code delete}: where {@code start} put it, as it recorded in the bundle's
     * {@code address} file (containerd 2.3 may give start a socket directory and gives delete none), else
     * under {@code defaultDir}. A recorded path is used only if it is absolute and named as this group's
     * socket is, so an edited file cannot point delete at anything else.
     */
    public static Path forDelete(
            Path bundle, Path defaultDir, String containerdAddress, String namespace, String groupId) {
        Path expected = socketPath(defaultDir, containerdAddress, namespace, groupId);
        try {
            String recorded = Files.readString(bundle.resolve("address")).strip();
            if (recorded.startsWith("unix://")) {
                Path socket = Path.of(recorded.substring("unix://".length())).normalize();
                if (socket.isAbsolute()
                        && socket.getFileName() != null
                        && socket.getFileName().equals(expected.getFileName())) {
                    return socket;
                }
            }
        } catch (IOException | InvalidPathException e) {
            // no record (a start that failed early, an older shim): the default place
        }
        return expected;
    }

    public static String uri(Path socket) {
        return "unix://" + socket;
    }
}
