package io.jvmm.shim.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import io.jvmm.api.containerd.bootstrap.BootstrapParams;
import io.jvmm.api.containerd.bootstrap.BootstrapResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BootstrapAnswerTest {
    private static final String ADDRESS = "unix:///run/containerd/s/abc";

    private static String answer(String versionOutput) {
        return new String(
                BootstrapAnswer.forVersion(BootstrapAnswer.parseVersion(versionOutput), ADDRESS),
                StandardCharsets.UTF_8);
    }

    @Test
    void eachContainerdGetsTheRichestFormItAccepts() {
        assertThat(answer("containerd github.com/containerd/containerd/v2 v2.1.9 abcdef"))
                .isEqualTo("{\"version\":3,\"address\":\"unix:///run/containerd/s/abc\",\"protocol\":\"ttrpc\"}");
        assertThat(answer("containerd github.com/containerd/containerd v1.7.24 1234"))
                .isEqualTo("{\"version\":2,\"address\":\"unix:///run/containerd/s/abc\",\"protocol\":\"ttrpc\"}");
        assertThat(answer("containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+b1"))
                .isEqualTo(ADDRESS);
        assertThat(answer("something else entirely")).isEqualTo(ADDRESS);
    }

    @Test
    void bootstrapParamsAreRecognisedOnlyWhenTheyNameThisShim() throws Exception {
        byte[] params = BootstrapParams.newBuilder()
                .setInstanceId("c1")
                .setNamespace("default")
                .build()
                .toByteArray();
        assertThat(BootstrapAnswer.bootstrapParams(params, "c1", "default")).isPresent();
        assertThat(BootstrapAnswer.bootstrapParams(params, "c2", "default")).isEmpty();
        assertThat(BootstrapAnswer.bootstrapParams(new byte[0], "c1", "default"))
                .isEmpty();
        // What containerd <= 2.2 sends: runtime options in an Any; must not pass for bootstrap params.
        byte[] any = Any.newBuilder()
                .setTypeUrl("containerd.runc.v1.Options")
                .build()
                .toByteArray();
        assertThat(BootstrapAnswer.bootstrapParams(any, "c1", "default")).isEmpty();
        BootstrapResult r = BootstrapResult.parseFrom(BootstrapAnswer.forBootstrapParams(ADDRESS));
        assertThat(r.getVersion()).isEqualTo(3);
        assertThat(r.getProtocol()).isEqualTo("ttrpc");
    }

    @Test
    void socketAddressHashesLikeContainerd() {
        // sha256("/run/containerd/containerd.sock/default/c1"), as containerd's SocketAddress computes it.
        assertThat(SocketAddress.socketPath(
                        SocketAddress.DEFAULT_DIR, "/run/containerd/containerd.sock", "default", "c1"))
                .isEqualTo(Path.of("/run/containerd/s/" + sha256("/run/containerd/containerd.sock/default/c1")));
        assertThat(SocketAddress.socketPath(
                        SocketAddress.DEFAULT_DIR, "/run/containerd/containerd.sock/", "default", "c1"))
                .as("filepath.Join cleans the path")
                .isEqualTo(SocketAddress.socketPath(
                        SocketAddress.DEFAULT_DIR, "/run/containerd/containerd.sock", "default", "c1"));
        assertThat(Optional.of(SocketAddress.uri(Path.of("/x")))).contains("unix:///x");
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
