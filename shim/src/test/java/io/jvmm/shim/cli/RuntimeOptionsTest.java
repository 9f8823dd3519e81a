package io.jvmm.shim.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import io.jvmm.api.containerd.runc.Options;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class RuntimeOptionsTest {
    private static byte[] runtimeOptions(String typeUrl, String configPath) {
        return Any.newBuilder()
                .setTypeUrl(typeUrl)
                .setValue(io.jvmm.api.containerd.runtimeoptions.v1.Options.newBuilder()
                        .setConfigPath(configPath)
                        .build()
                        .toByteString())
                .build()
                .toByteArray();
    }

    @Test
    void criRuntimeOptionsNameTheConfiguration() {
        assertThat(RuntimeOptions.configPath(runtimeOptions("runtimeoptions.v1.Options", "/etc/jvmm/pods.json")))
                .contains(Path.of("/etc/jvmm/pods.json"));
        assertThat(RuntimeOptions.configPath(
                        runtimeOptions("type.googleapis.com/runtimeoptions.v1.Options", "/x.json")))
                .contains(Path.of("/x.json"));
    }

    @Test
    void otherOrEmptyOptionsNameNothing() {
        assertThat(RuntimeOptions.configPath(new byte[0])).isEmpty();
        assertThat(RuntimeOptions.configPath(runtimeOptions("runtimeoptions.v1.Options", "")))
                .isEmpty();
        assertThat(RuntimeOptions.configPath(Any.newBuilder()
                        .setTypeUrl("containerd.runc.v1.Options")
                        .setValue(Options.newBuilder()
                                .setBinaryName("crun")
                                .build()
                                .toByteString())
                        .build()
                        .toByteArray()))
                .isEmpty();
        assertThat(RuntimeOptions.configPath(new byte[] {(byte) 0xff, 0x01})).isEmpty();
    }

    @Test
    void aRelativeConfigPathIsRefused() {
        assertThatThrownBy(() -> RuntimeOptions.configPath(runtimeOptions("runtimeoptions.v1.Options", "pods.json")))
                .hasMessageContaining("must be absolute");
    }
}
