package io.jvmm.shim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** How the server learns where it listens, from the variables its start set. */
class ServerListenerTest {
    private static final Path SOCKET = Path.of("/run/containerd/s/x");

    @Test
    void theServerSaysWhoBoundItsSocket() {
        assertThat(ServerListener.of(SOCKET, "0", null)).hasToString("bound by start");
        assertThat(ServerListener.of(SOCKET, "0", "launcher"))
                .hasToString("bound by the launcher's start, without a JVM");
        assertThat(ServerListener.of(SOCKET, "", "launcher")).hasToString("bound by the server");
        assertThat(ServerListener.of(SOCKET, null, null)).hasToString("bound by the server");
    }

    @Test
    void aMalformedDescriptorIsRefusedClearly() {
        assertThatThrownBy(() -> ServerListener.of(SOCKET, "zero", null))
                .hasMessageContaining("JVMM_LISTENER_FD must be a descriptor number");
    }
}
