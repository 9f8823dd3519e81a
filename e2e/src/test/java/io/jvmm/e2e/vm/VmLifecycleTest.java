package io.jvmm.e2e.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jvmm.agent.client.AgentUnavailableException;
import io.jvmm.agent.client.StdioStream.Kind;
import io.jvmm.api.agent.v1.StdioSpec;
import io.jvmm.task.sandbox.GuestConnector;
import io.jvmm.vmm.Accel;
import io.jvmm.vmm.ShutdownLadder;
import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.VmException;
import io.jvmm.vmm.VmExit;
import io.jvmm.vmm.VmState;
import io.jvmm.vmm.qemu.DeviceSetup;
import io.jvmm.vmm.qemu.KvmProbe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A real VM's life and death: the monitor killed, each rung of the shutdown ladder, guests that never come up. */
class VmLifecycleTest {
    private static final Duration AGENT_WAIT = Duration.ofSeconds(60);

    private static ShutdownLadder.Action failing(String why) {
        return () -> {
            throw new IllegalStateException(why);
        };
    }

    @Test
    void devicesAddedOverQmpToAPausedVmWorkLikeTheCommandLine() throws Exception {
        try (TestVm t =
                TestVm.create(GuestImage.get().kernel(), GuestImage.get().initrd(), "", DeviceSetup.QMP)) {
            t.vm.start(TestVm.BOOT_TIMEOUT);
            t.agent = GuestConnector.connect(t.vm, TestVm.BOOT_TIMEOUT);
            // The runtime disk (the agent runs), vsock (it answers) and virtiofs (the rootfs) all arrived over QMP.
            String rootfs = t.rootfs("qmp");
            t.agent.createContainer(
                    "qmp",
                    "",
                    OciSpec.config("qmp", rootfs, List.of("sh", "-c", "exit 5")),
                    StdioSpec.getDefaultInstance());
            t.agent.startContainer("qmp");
            assertThat(t.agent.waitProcess("qmp", "", Duration.ofSeconds(60)).getExitStatus())
                    .isEqualTo(5);
        }
    }

    /**
     * A guest CPU with fewer features than the host that built the guest image (a 2008 model: no AVX). The
     * agent's JVM must generate its code for the CPU it runs on: with the adapters kept in the image's AOT
     * cache (made on the build host) it died of SIGILL before answering.
     */
    @Test
    void aGuestOnAnOlderCpuModelThanTheBuildHostRunsContainers() throws Exception {
        try (TestVm t = TestVm.bootOnCpu("Nehalem")) {
            String rootfs = t.rootfs("cpu");
            byte[] spec = OciSpec.config(
                    "cpu", rootfs, List.of("sh", "-c", "grep -qw avx /proc/cpuinfo && echo avx || echo no-avx"));
            t.agent.createContainer(
                    "cpu", "", spec, StdioSpec.newBuilder().setStdout(true).build());
            OutputCollector out = OutputCollector.of(t.agent.openStdio(Kind.STDOUT, "cpu", ""));
            t.agent.startContainer("cpu");
            assertThat(t.agent.waitProcess("cpu", "", AGENT_WAIT).getExitStatus())
                    .isZero();
            assertThat(out.text()).as("the guest sees the configured model").isEqualTo("no-avx\n");
        }
    }

    @Test
    void aKilledMonitorIsReportedWithinASecondAndLeavesNothingBehind() throws Exception {
        try (TestVm t =
                TestVm.create(GuestImage.get().kernel(), GuestImage.get().initrd(), "")) {
            t.vm.start(TestVm.BOOT_TIMEOUT);
            assertThat(t.vm.state()).isEqualTo(VmState.RUNNING);
            assertThat(t.vm.hostMemoryBytes()).isPositive();
            // Where cgroup2 is writable (it is here), QEMU and its helpers share a leaf of their own.
            Path leaf = t.vm.cgroupPath().orElseThrow();
            // QEMU, vhost-device-vsock and virtiofsd (which forks a sandboxed child of its own).
            assertThat(Files.readAllLines(leaf.resolve("cgroup.procs")))
                    .contains(Long.toString(t.vm.monitorPid()))
                    .hasSizeGreaterThanOrEqualTo(3);
            long killedAt = System.nanoTime();
            ProcessHandle.of(t.vm.monitorPid()).orElseThrow().destroyForcibly();
            VmExit exit = t.vm.exitFuture().get(5, TimeUnit.SECONDS);
            assertThat(Duration.ofNanos(System.nanoTime() - killedAt)).isLessThan(Duration.ofSeconds(1));
            assertThat(exit.guestInitiated()).isFalse();
            assertThat(exit.monitorExitCode()).isEqualTo(137);
            assertThat(t.vm.state()).isEqualTo(VmState.STOPPED);
            t.close();
            assertThat(t.leftoverProcesses()).isEmpty();
            assertThat(t.stateDir).doesNotExist();
            assertThat(leaf).doesNotExist();
        }
    }

    @Test
    void theAgentStepPowersTheGuestOff() throws Exception {
        try (TestVm t = TestVm.boot()) {
            List<ShutdownLadder.Outcome> outcomes = ShutdownLadder.run(
                    t.vm,
                    ShutdownLadder.standard(
                            t.vm,
                            () -> t.agent.powerOff(Duration.ofSeconds(2)),
                            AGENT_WAIT,
                            AGENT_WAIT,
                            Duration.ofSeconds(10)));
            assertThat(outcomes).extracting(ShutdownLadder.Outcome::step).containsExactly("agent");
            assertThat(outcomes.getFirst().exitedAfter()).isTrue();
            assertThat(t.vm.exitFuture().get().guestInitiated()).isTrue();
        }
    }

    @Test
    void whenTheAgentFailsThePowerButtonStopsTheGuest() throws Exception {
        try (TestVm t = TestVm.boot()) {
            List<ShutdownLadder.Outcome> outcomes = ShutdownLadder.run(
                    t.vm,
                    ShutdownLadder.standard(
                            t.vm,
                            failing("agent step forced to fail"),
                            Duration.ofMillis(100),
                            AGENT_WAIT,
                            Duration.ofSeconds(10)));
            assertThat(outcomes).extracting(ShutdownLadder.Outcome::step).containsExactly("agent", "power-button");
            assertThat(outcomes.get(0).actionSucceeded()).isFalse();
            assertThat(outcomes.get(1).exitedAfter()).isTrue();
            assertThat(t.vm.exitFuture().get().guestInitiated()).isTrue();
        }
    }

    @Test
    void whenTheGuestIgnoresTheButtonSigtermEndsTheMonitor() throws Exception {
        try (TestVm t = TestVm.boot("jvmm.ignore_power_button")) {
            List<ShutdownLadder.Outcome> outcomes = ShutdownLadder.run(
                    t.vm,
                    ShutdownLadder.standard(
                            t.vm,
                            failing("agent step forced to fail"),
                            Duration.ofMillis(100),
                            Duration.ofSeconds(3),
                            Duration.ofSeconds(20)));
            assertThat(outcomes)
                    .extracting(ShutdownLadder.Outcome::step)
                    .containsExactly("agent", "power-button", "sigterm");
            assertThat(outcomes.get(1).exitedAfter()).isFalse();
            assertThat(outcomes.get(2).exitedAfter()).isTrue();
            assertThat(t.vm.exitFuture().get().guestInitiated()).isFalse();
        }
    }

    @Test
    void aFrozenMonitorIsKilled() throws Exception {
        try (TestVm t =
                TestVm.create(GuestImage.get().kernel(), GuestImage.get().initrd(), "")) {
            t.vm.start(TestVm.BOOT_TIMEOUT);
            // SIGSTOP: QEMU can answer nothing and handle no SIGTERM; only SIGKILL ends it.
            assertThat(new ProcessBuilder("kill", "-STOP", Long.toString(t.vm.monitorPid()))
                            .start()
                            .waitFor())
                    .isZero();
            List<ShutdownLadder.Outcome> outcomes = ShutdownLadder.run(
                    t.vm,
                    ShutdownLadder.standard(
                            t.vm,
                            failing("agent unreachable"),
                            Duration.ofMillis(100),
                            Duration.ofSeconds(1),
                            Duration.ofSeconds(2)));
            assertThat(outcomes)
                    .extracting(ShutdownLadder.Outcome::step)
                    .containsExactly("agent", "power-button", "sigterm", "sigkill");
            assertThat(outcomes.get(1).actionSucceeded())
                    .as("QMP cannot answer a stopped QEMU")
                    .isFalse();
            assertThat(outcomes.get(3).exitedAfter()).isTrue();
            t.close();
            assertThat(t.leftoverProcesses()).isEmpty();
        }
    }

    @Test
    void aCorruptInitrdFailsWithTheGuestsLastWords() throws Exception {
        Path garbage = Files.createTempFile("jvmm-corrupt", ".img");
        try {
            byte[] junk = new byte[1 << 20];
            new Random(7).nextBytes(junk);
            Files.write(garbage, junk);
            try (TestVm t = TestVm.create(GuestImage.get().kernel(), garbage, "")) {
                t.vm.start(TestVm.BOOT_TIMEOUT);
                long start = System.nanoTime();
                assertThatThrownBy(() -> GuestConnector.connect(t.vm, Duration.ofSeconds(120)))
                        .isInstanceOfSatisfying(
                                VmException.BootFailed.class,
                                e -> assertThat(e.getMessage()).contains("VM exited before its agent answered"));
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(90));
            }
        } finally {
            Files.deleteIfExists(garbage);
        }
    }

    @Test
    void anAgentThatNeverAnswersFailsAtTheDeadline() throws Exception {
        try (TestVm t =
                TestVm.create(GuestImage.get().kernel(), GuestImage.get().initrd(), "jvmm.noagent")) {
            t.vm.start(TestVm.BOOT_TIMEOUT);
            long start = System.nanoTime();
            assertThatThrownBy(() -> GuestConnector.connect(t.vm, Duration.ofSeconds(15)))
                    .isInstanceOf(AgentUnavailableException.class);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(took).isGreaterThanOrEqualTo(Duration.ofSeconds(14)).isLessThan(Duration.ofSeconds(25));
        }
    }

    @Test
    void aMissingKernelIsRefusedBeforeAnythingStarts() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "jvmm-vm");
        try {
            assertThatThrownBy(() -> new VmConfig(
                            dir,
                            dir.resolve("no-vmlinuz"),
                            GuestImage.get().initrd(),
                            Optional.empty(),
                            Optional.empty(),
                            1,
                            256,
                            3,
                            Accel.TCG,
                            ""))
                    .isInstanceOf(VmException.InvalidConfig.class)
                    .hasMessageContaining("kernel")
                    .hasMessageContaining("no-vmlinuz");
            assertThatThrownBy(() -> new VmConfig(
                            dir,
                            GuestImage.get().kernel(),
                            GuestImage.get().initrd(),
                            Optional.empty(),
                            Optional.empty(),
                            1,
                            256,
                            2,
                            Accel.TCG,
                            ""))
                    .isInstanceOf(VmException.InvalidConfig.class)
                    .hasMessageContaining("CID");
        } finally {
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void kvmIsProbedAndRefusedWhereItDoesNotWork() {
        // This machine's /dev/kvm is nested and cannot run ordinary guests (ENVIRONMENT.md); on a host
        // where KVM works the probe says so and jvmm uses it.
        boolean works =
                KvmProbe.works(GuestImage.get().kernel(), GuestImage.get().initrd(), Duration.ofSeconds(8));
        assertThat(works).isEqualTo(Boolean.getBoolean("jvmm.test.kvmWorks"));
    }
}
