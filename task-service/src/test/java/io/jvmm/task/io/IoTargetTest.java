package io.jvmm.task.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jvmm.task.TaskException;
import io.jvmm.ttrpc.Code;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IoTargetTest {
    @Test
    void containerdsThreeFormsAreRecognised() {
        assertThat(IoTarget.parse("", "stdout")).isInstanceOf(IoTarget.None.class);
        assertThat(IoTarget.parse("/run/containerd/fifo/1/c-stdout", "stdout"))
                .isEqualTo(new IoTarget.Fifo(Path.of("/run/containerd/fifo/1/c-stdout")));
        assertThat(IoTarget.parse("file:///var/log/c.log", "stdout"))
                .isEqualTo(new IoTarget.File(Path.of("/var/log/c.log")));
        assertThat(IoTarget.parse("binary:///usr/bin/logger?tag=web&verbose", "stdout"))
                .isEqualTo(new IoTarget.Binary(Path.of("/usr/bin/logger"), List.of("tag", "web", "verbose")));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"relative/path", "ftp://host/x", "file://relative", "/a/../etc/passwd", "file:///a/./b", "::"})
    void anythingElseIsAnInvalidArgumentNamingTheStream(String value) {
        assertThatThrownBy(() -> new StdioConfig("", value, "", false))
                .isInstanceOf(TaskException.class)
                .hasMessageContaining("stdout")
                .extracting(e -> ((TaskException) e).statusCode())
                .isEqualTo(Code.INVALID_ARGUMENT);
    }

    @Test
    void aTerminalHasNoSeparateStderr() {
        assertThat(new StdioConfig("/in", "/out", "/err", true).hasStderr()).isFalse();
        assertThat(new StdioConfig("/in", "/out", "/err", false).hasStderr()).isTrue();
    }
}
