package io.jvmm.task.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class RootTransportTest {
    private static final NetworkPlan POD_NET = new NetworkPlan.PodNamespace(Path.of("/var/run/netns/x"));

    @Test
    void withoutATemplateALoneRootTravelsOnADiskWhenAskedAndEverythingElseOnTheShare() {
        assertThat(RootTransport.of(false, SandboxKind.LONE_ROOT_ONLY, NetworkPlan.ISOLATED, true, true))
                .isEqualTo(RootTransport.LONE_DISK);
        assertThat(RootTransport.of(false, SandboxKind.LONE_ROOT_ONLY, NetworkPlan.ISOLATED, false, true))
                .as("loneRootDisk off (the default), or a VMM without disks")
                .isEqualTo(RootTransport.SHARE);
        assertThat(RootTransport.of(false, SandboxKind.LONE_ROOT_ONLY, NetworkPlan.ISOLATED, true, false))
                .as("no room for the image")
                .isEqualTo(RootTransport.SHARE);
        assertThat(RootTransport.of(false, SandboxKind.LONE_ROOT_ONLY, NetworkPlan.HOST, true, true))
                .as("a network card cannot be restored from a checkpoint")
                .isEqualTo(RootTransport.SHARE);
        assertThat(RootTransport.of(false, SandboxKind.LONE, NetworkPlan.ISOLATED, true, true))
                .isEqualTo(RootTransport.SHARE);
        assertThat(RootTransport.of(false, SandboxKind.POD, POD_NET, true, true))
                .isEqualTo(RootTransport.SHARE);
        assertThat(RootTransport.of(false, SandboxKind.LONE_ROOT_ONLY, NetworkPlan.ISOLATED, true, true)
                        .hasShare())
                .isFalse();
    }

    @Test
    void fromATemplatePodsAndLoneRootsTravelOnDisksAndLoneBindsOnTheShare() {
        assertThat(RootTransport.of(true, SandboxKind.POD, POD_NET, false, false))
                .isEqualTo(RootTransport.POD_DISKS);
        assertThat(RootTransport.of(true, SandboxKind.POD, NetworkPlan.ISOLATED, false, false))
                .isEqualTo(RootTransport.POD_DISKS);
        assertThat(RootTransport.of(true, SandboxKind.LONE_ROOT_ONLY, NetworkPlan.ISOLATED, false, true))
                .as("a template's clone without loneRootDisk")
                .isEqualTo(RootTransport.LONE_DISK);
        assertThat(RootTransport.of(true, SandboxKind.LONE_ROOT_ONLY, NetworkPlan.ISOLATED, false, false))
                .as("no room for the image: the share, and a private copy of the memory")
                .isEqualTo(RootTransport.SHARE);
        assertThat(RootTransport.of(true, SandboxKind.LONE, NetworkPlan.ISOLATED, true, true))
                .isEqualTo(RootTransport.SHARE);
        assertThat(RootTransport.of(true, SandboxKind.POD, POD_NET, false, false)
                        .hasShare())
                .isFalse();
        assertThat(RootTransport.of(true, SandboxKind.LONE, POD_NET, false, false)
                        .hasShare())
                .isTrue();
    }
}
