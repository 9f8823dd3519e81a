package io.jvmm.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jvmm.vmm.Accel;
import io.jvmm.vmm.GuestNic;
import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.VmException.InvalidConfig;
import io.jvmm.vmm.VmmJail;
import io.jvmm.vmm.VmmUser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The network card as QEMU is told of it: one description for the command line and for QMP's netdev_add. */
class QemuCommandLineTest {
    @TempDir
    Path dir;

    private VmConfig config(Optional<GuestNic> nic) throws Exception {
        Path kernel = Files.writeString(dir.resolve("vmlinuz"), "k");
        Path initrd = Files.writeString(dir.resolve("initrd.img"), "i");
        return new VmConfig(
                dir.resolve("state"),
                kernel,
                initrd,
                Optional.empty(),
                Optional.empty(),
                1,
                256,
                3,
                Accel.TCG,
                "",
                nic);
    }

    @Test
    void hugeMemoryIsTheSameSharedMemfdOnHugePages() throws Exception {
        VmConfig c = config(Optional.empty());
        assertThat(QemuCommandLine.build(c, false))
                .contains("memory-backend-memfd,id=mem,size=256M,share=on")
                .noneMatch(a -> a.contains("hugetlb"));
        assertThat(QemuCommandLine.build(c, false, true))
                .contains("memory-backend-memfd,id=mem,size=256M,share=on,hugetlb=on");
        assertThat(QemuCommandLine.buildPaused(c, false, true))
                .contains("memory-backend-memfd,id=mem,size=256M,share=on,hugetlb=on");
    }

    @Test
    void aPodTapCardRunsQemuInThePodNamespaceWithTheSameBackendAsQmp() throws Exception {
        GuestNic tap = new GuestNic.PodTap(Path.of("/run/netns/cni-1"), "jvmmtap0", "aa:bb:cc:dd:ee:ff");
        List<String> args = QemuCommandLine.build(config(Optional.of(tap)), false);
        assertThat(args.subList(0, 3)).containsExactly("nsenter", "--net=/run/netns/cni-1", "--");
        assertThat(args)
                .containsSubsequence(
                        "-netdev",
                        "tap,id=net0,ifname=jvmmtap0,script=no,downscript=no",
                        "-device",
                        "virtio-net-pci,netdev=net0,mac=aa:bb:cc:dd:ee:ff");
        assertThat(QemuCommandLine.netdev(tap))
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of("type", "tap", "id", "net0", "ifname", "jvmmtap0", "script", "no", "downscript", "no"));
    }

    @Test
    void tcgKeepsASmallCacheOfTranslatedCodeAndKvmHasNone() throws Exception {
        VmConfig config = config(Optional.empty());
        assertThat(QemuCommandLine.build(config, false))
                .containsSubsequence("-machine", "q35", "-accel", "tcg,tb-size=64");
        assertThat(QemuCommandLine.buildSnapshottable(
                        config, false, QemuCommandLine.memoryFile(config, Path.of("/t/guest.mem"), false), true))
                .containsSubsequence("-accel", "tcg,tb-size=64");
        assertThat(QemuCommandLine.build(config, true)).containsSubsequence("-machine", "q35", "-accel", "kvm");
    }

    @Test
    void theCpuIsTheHostsUnderKvmEverythingEmulatedUnderTcgOrTheConfiguredModel() throws Exception {
        VmConfig config = config(Optional.empty());
        assertThat(QemuCommandLine.build(config, true)).containsSubsequence("-cpu", "host");
        assertThat(QemuCommandLine.build(config, false)).containsSubsequence("-cpu", "max");
        VmConfig fixed = config.withCpuModel(Optional.of("Nehalem,+popcnt"));
        assertThat(QemuCommandLine.build(fixed, true)).containsSubsequence("-cpu", "Nehalem,+popcnt");
        assertThat(QemuCommandLine.buildSnapshottable(
                        fixed, false, QemuCommandLine.memoryFile(fixed, Path.of("/t/guest.mem"), false), false))
                .containsSubsequence("-cpu", "Nehalem,+popcnt");
    }

    @Test
    void aCpuModelThatCouldReadAsAnotherOptionIsRefused() throws Exception {
        VmConfig config = config(Optional.empty());
        for (String bad : List.of("", "-enable-kvm", "max -s", "Nehalem\n", "a".repeat(129))) {
            assertThatThrownBy(() -> config.withCpuModel(Optional.of(bad)))
                    .as(bad)
                    .isInstanceOf(InvalidConfig.class)
                    .hasMessageContaining("CPU model");
        }
    }

    @Test
    void aUserModeCardNeedsNoNamespace() throws Exception {
        List<String> args = QemuCommandLine.build(config(Optional.of(new GuestNic.HostUser())), false);
        assertThat(args.get(0)).isEqualTo(QemuCommandLine.BINARY);
        assertThat(args).containsSubsequence("-netdev", "user,id=net0", "-device", "virtio-net-pci,netdev=net0");
    }

    @Test
    void theSnapshotLayoutPlugsTheCardLaterAndStartsPaused() throws Exception {
        GuestNic tap = new GuestNic.PodTap(Path.of("/run/netns/cni-1"), "jvmmtap0", "aa:bb:cc:dd:ee:ff");
        VmConfig config = config(Optional.of(tap));
        List<String> args = QemuCommandLine.buildSnapshottable(
                config, false, QemuCommandLine.memoryFile(config, Path.of("/t/guest.mem"), false), true);
        assertThat(args.get(0)).isEqualTo("nsenter");
        assertThat(args).doesNotContain("-netdev").contains("-S").containsSubsequence("-incoming", "defer");
    }

    @Test
    void theSnapshotLayoutHasNoVhostUserDeviceAndItsMemoryIsTheGivenFile() throws Exception {
        VmConfig config = config(Optional.empty());
        List<String> args = QemuCommandLine.buildSnapshottable(
                config, false, QemuCommandLine.memoryFile(config, Path.of("/t/guest.mem"), false), false);
        assertThat(String.join(" ", args))
                .doesNotContain("vhost-user")
                .doesNotContain("-incoming")
                .contains("memory-backend-file,id=mem,size=" + config.memoryMib() + "M,mem-path=/t/guest.mem,share=off")
                .contains("virtserialport,bus=serial0.0,chardev=agent,name=jvmm.agent");
        assertThat(String.join(" ", QemuCommandLine.build(config, false)))
                .contains("memory-backend-memfd")
                .contains("share=on");
    }

    /** Every layout runs QEMU in its seccomp sandbox with the console on its standard output, and nothing spawns. */
    @Test
    void everyLayoutIsSandboxedAndNeverSpawns() throws Exception {
        VmConfig c =
                config(Optional.of(new GuestNic.PodTap(Path.of("/run/netns/cni-1"), "jvmmtap0", "aa:bb:cc:dd:ee:ff")));
        for (List<String> args : List.of(
                QemuCommandLine.build(c, false),
                QemuCommandLine.buildPaused(c, false),
                QemuCommandLine.buildSnapshottable(c, false, QemuCommandLine.memfd(c), true),
                QemuCommandLine.buildSnapshottable(c, false, QemuCommandLine.memfd(c), false))) {
            assertThat(args)
                    .containsSubsequence(
                            "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny")
                    .containsSubsequence("-serial", "stdio");
            assertThat(String.join(" ", args)).doesNotContain("exec:");
        }
    }

    /** The jail and the VMM's user are taken on after nsenter (which needs the shim's rights), right before QEMU. */
    @Test
    void theJailAndTheVmmUserAreTakenOnAfterEnteringThePodsNamespace() throws Exception {
        VmmUser user = new VmmUser("jvmm-vmm", 999, 995, List.of(995, 993));
        VmmJail jail = new VmmJail(dir.resolve("jail"), List.of(dir.resolve("vmlinuz")), List.of(dir));
        List<String> pod = QemuCommandLine.asUser(
                Optional.of(user), jail, List.of("nsenter", "--net=/run/netns/x", "--", "qemu-system-x86_64", "-m"));
        assertThat(pod.subList(0, 9))
                .containsExactly(
                        "nsenter",
                        "--net=/run/netns/x",
                        "--",
                        "unshare",
                        "--mount",
                        "--propagation",
                        "private",
                        "--",
                        "/bin/sh");
        assertThat(pod)
                .containsSubsequence(
                        "jvmm-jail",
                        "/usr/bin/setpriv",
                        "--reuid=999",
                        "--regid=995",
                        "--groups=995,993",
                        "--inh-caps=-all",
                        "--bounding-set=-all",
                        "--no-new-privs",
                        "--pdeathsig",
                        "KILL",
                        "--",
                        "qemu-system-x86_64",
                        "-m");
        assertThat(QemuCommandLine.asUser(Optional.of(user), jail, List.of("vhost-device-vsock", "--vm"))
                        .getFirst())
                .isEqualTo("unshare");
        assertThat(QemuCommandLine.asUser(Optional.empty(), jail, List.of("qemu-system-x86_64")))
                .containsExactly("qemu-system-x86_64");
    }
}
