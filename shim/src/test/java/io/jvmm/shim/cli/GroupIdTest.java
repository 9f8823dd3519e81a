package io.jvmm.shim.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroupIdTest {
    @TempDir
    Path bundle;

    private void spec(String json) throws Exception {
        Files.writeString(bundle.resolve("config.json"), json);
    }

    @Test
    void aPodsContainersNameItsSandboxAndNestedAnnotationsAreNotTheSpecs() throws Exception {
        spec("""
                {"ociVersion":"1.0.2","process":{"args":["sh"],"env":["annotations=x"]},
                 "linux":{"annotations":{"io.kubernetes.cri.sandbox-id":"not-this"}},
                 "annotations":{"io.kubernetes.cri.container-type":"container","weird":{"nested":1},
                                "io.kubernetes.cri.sandbox-id":"pod-1"}}""");
        assertThat(GroupId.of(bundle, "c1")).isEqualTo("pod-1");
    }

    @Test
    void jvmmsOwnGroupAnnotationComesFirst() throws Exception {
        spec("{\"annotations\":{\"io.kubernetes.cri.sandbox-id\":\"pod-1\",\"io.containerd.jvmm.v2.group\":\"g\"}}");
        assertThat(GroupId.of(bundle, "c1")).isEqualTo("g");
    }

    @Test
    void withoutAnnotationsOrASpecTheContainerIsItsOwnGroup() throws Exception {
        assertThat(GroupId.of(bundle, "c1")).as("no config.json").isEqualTo("c1");
        spec("{\"ociVersion\":\"1.0.2\",\"annotations\":{\"io.containerd.jvmm.v2.group\":\"\"}}");
        assertThat(GroupId.of(bundle, "c1")).isEqualTo("c1");
        spec("[1,2]");
        assertThat(GroupId.of(bundle, "c1")).as("not an object").isEqualTo("c1");
        spec("{\"annotations\":{\"io.containerd.jvmm.v2.group\":");
        assertThat(GroupId.of(bundle, "c1")).as("truncated").isEqualTo("c1");
    }

    @Test
    void aGroupThatIsNoValidIdentifierIsRefused() throws Exception {
        spec("{\"annotations\":{\"io.containerd.jvmm.v2.group\":\"../../etc\"}}");
        assertThatThrownBy(() -> GroupId.of(bundle, "c1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("group");
    }
}
