package io.jvmm.shim.cli;

import io.jvmm.api.Sha256;
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

    public static String uri(Path socket) {
        return "unix://" + socket;
    }
}
