package io.jvmm.shim.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.api.Sha256;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * containerd 2.3 may give {@code start} a socket directory and gives {@code delete} none: delete must look
 * where start put the socket, or it takes a live server for a dead one and tears its sandbox down.
 */
class SocketAddressTest {
    private static final String ADDRESS = "/run/containerd/containerd.sock";

    @TempDir
    Path bundle;

    @Test
    void theNameIsContainerdsHashOfAddressNamespaceAndGroup() {
        Path socket = SocketAddress.socketPath(SocketAddress.DEFAULT_DIR, ADDRESS + "/", "default", "g1");
        assertThat(socket.getParent()).isEqualTo(SocketAddress.DEFAULT_DIR);
        assertThat(socket.getFileName().toString())
                .isEqualTo(Sha256.hex(ADDRESS + "/default/g1"))
                .hasSize(64);
    }

    @Test
    void deleteFindsTheSocketWhereStartPutIt() throws Exception {
        Path started = SocketAddress.socketPath(Path.of("/run/user/0/containerd-s"), ADDRESS, "default", "g1");
        Files.writeString(bundle.resolve("address"), SocketAddress.uri(started));
        assertThat(SocketAddress.forDelete(bundle, SocketAddress.DEFAULT_DIR, ADDRESS, "default", "g1"))
                .isEqualTo(started);
    }

    @Test
    void withoutARecordDeleteLooksInTheDefaultDirectory() {
        assertThat(SocketAddress.forDelete(bundle, SocketAddress.DEFAULT_DIR, ADDRESS, "default", "g1"))
                .isEqualTo(SocketAddress.socketPath(SocketAddress.DEFAULT_DIR, ADDRESS, "default", "g1"));
    }

    @Test
    void aRecordNamingAnythingButThisGroupsSocketIsIgnored() throws Exception {
        Path expected = SocketAddress.socketPath(SocketAddress.DEFAULT_DIR, ADDRESS, "default", "g1");
        for (String recorded : new String[] {
            "unix:///etc/passwd",
            "unix://relative/" + expected.getFileName(),
            SocketAddress.uri(SocketAddress.socketPath(Path.of("/tmp"), ADDRESS, "default", "other-group")),
            "/tmp/" + expected.getFileName(),
            "unix://\u0000"
        }) {
            Files.writeString(bundle.resolve("address"), recorded);
            assertThat(SocketAddress.forDelete(bundle, SocketAddress.DEFAULT_DIR, ADDRESS, "default", "g1"))
                    .as(recorded)
                    .isEqualTo(expected);
        }
    }
}
