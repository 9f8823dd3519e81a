package io.jvmm.task.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class RootTransportTest {
    private static final NetworkPlan POD_NET = new NetworkPlan.PodNamespace(Path.of("/var/run/netns/x"));

    @Test
    void withoutATemplateEveryRootIsOnTheShare() {
        for (SandboxKind kind : SandboxKind.values()) {
            assertThat(RootTransport.of(false, kind, NetworkPlan.ISOLATED)).isEqualTo(RootTransport.SHARE);
        }
    }

    @Test
    void fromATemplatePodsAndLoneRootsTravelOnDisksAndLoneBindsOnTheShare() {
        assertThat(RootTransport.of(true, SandboxKind.POD, POD_NET)).isEqualTo(RootTransport.POD_DISKS);
        assertThat(RootTransport.of(true, SandboxKind.POD, NetworkPlan.ISOLATED))
                .isEqualTo(RootTransport.POD_DISKS);
        assertThat(RootTransport.of(true, SandboxKind.LONE_ROOT_ONLY, NetworkPlan.ISOLATED))
                .isEqualTo(RootTransport.LONE_DISK);
        assertThat(RootTransport.of(true, SandboxKind.LONE, NetworkPlan.ISOLATED))
                .isEqualTo(RootTransport.SHARE);
        assertThat(RootTransport.of(true, SandboxKind.POD, POD_NET).hasShare()).isFalse();
        assertThat(RootTransport.of(true, SandboxKind.LONE, POD_NET).hasShare()).isTrue();
    }
}
