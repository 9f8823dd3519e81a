package io.jvmm.e2e.vm;

import io.jvmm.agent.client.AgentClient;
import io.jvmm.e2e.Leftovers;
import io.jvmm.task.sandbox.GuestConnector;
import io.jvmm.vmm.Accel;
import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.qemu.DeviceSetup;
import io.jvmm.vmm.qemu.QemuVm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A real QEMU VM (TCG here) with the jvmm guest image and a connected agent, for one test or one test
 * class. Closing it stops every process it started and removes its directories, whatever happened.
 */
final class TestVm implements AutoCloseable {
    static final Duration BOOT_TIMEOUT = Duration.ofSeconds(120);

    final Path stateDir;
    final Path shareDir;
    final QemuVm vm;
    AgentClient agent;

    private TestVm(Path stateDir, Path shareDir, QemuVm vm) {
        this.stateDir = stateDir;
        this.shareDir = shareDir;
        this.vm = vm;
    }

    static TestVm boot() throws IOException {
        return boot(GuestImage.get().kernel(), GuestImage.get().initrd(), "");
    }

    static TestVm boot(String kernelArgs) throws IOException {
        return boot(GuestImage.get().kernel(), GuestImage.get().initrd(), kernelArgs);
    }

    static TestVm boot(Path kernel, Path initrd, String kernelArgs) throws IOException {
        return boot(create(kernel, initrd, kernelArgs, DeviceSetup.COMMAND_LINE, Optional.empty()));
    }

    /** A guest whose CPU is QEMU's {@code cpuModel}. */
    static TestVm bootOnCpu(String cpuModel) throws IOException {
        return boot(create(
                GuestImage.get().kernel(),
                GuestImage.get().initrd(),
                "",
                DeviceSetup.COMMAND_LINE,
                Optional.of(cpuModel)));
    }

    private static TestVm boot(TestVm t) {
        try {
            t.vm.start(BOOT_TIMEOUT);
            t.agent = GuestConnector.connect(t.vm, BOOT_TIMEOUT);
            return t;
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
    }

    static TestVm create(Path kernel, Path initrd, String kernelArgs) throws IOException {
        return create(kernel, initrd, kernelArgs, DeviceSetup.COMMAND_LINE);
    }

    static TestVm create(Path kernel, Path initrd, String kernelArgs, DeviceSetup setup) throws IOException {
        return create(kernel, initrd, kernelArgs, setup, Optional.empty());
    }

    /**
     * A VM as a default lone container's: the snapshot layout (agent over the serial mux, no helper), no
     * share, memory a memfd ({@link QemuVm#checkpointable}).
     */
    static TestVm createCheckpointable(String kernelArgs) throws IOException {
        Path state = Files.createTempDirectory(Path.of("/tmp"), "jvmm-vm");
        Path share = Files.createTempDirectory(Path.of("/tmp"), "jvmm-share");
        VmConfig config =
                config(state, GuestImage.get().kernel(), GuestImage.get().initrd(), Optional.empty(), kernelArgs);
        return new TestVm(state, share, QemuVm.checkpointable(config, false));
    }

    private static VmConfig config(Path state, Path kernel, Path initrd, Optional<Path> share, String kernelArgs) {
        return new VmConfig(
                state,
                kernel,
                initrd,
                Optional.of(GuestImage.get().runtimeDisk()),
                share,
                2,
                1024,
                3,
                Accel.TCG,
                kernelArgs);
    }

    private static TestVm create(
            Path kernel, Path initrd, String kernelArgs, DeviceSetup setup, Optional<String> cpuModel)
            throws IOException {
        Path state = Files.createTempDirectory(Path.of("/tmp"), "jvmm-vm");
        Path share = Files.createTempDirectory(Path.of("/tmp"), "jvmm-share");
        VmConfig config =
                config(state, kernel, initrd, Optional.of(share), kernelArgs).withCpuModel(cpuModel);
        return new TestVm(state, share, new QemuVm(config, false, setup));
    }

    /** Makes a busybox rootfs for a container in the share; returns its path inside the guest. */
    String rootfs(String containerId) throws IOException {
        BusyboxRootfs.create(shareDir.resolve(containerId).resolve("rootfs"));
        return "/run/jvmm/share/" + containerId + "/rootfs";
    }

    @Override
    public void close() {
        if (agent != null) {
            agent.close();
        }
        vm.close();
        keepLogs();
        deleteTree(stateDir);
        deleteTree(shareDir);
    }

    /** Console and helper logs survive the VM under target/vm-logs, for diagnosing failures (and CI). */
    private void keepLogs() {
        try {
            Path logs = Files.createDirectories(
                    Path.of("target", "vm-logs", stateDir.getFileName().toString()));
            try (Stream<Path> files = Files.list(stateDir)) {
                for (Path f : files.filter(f -> f.toString().endsWith(".log")).toList()) {
                    Files.copy(f, logs.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            // logs are a convenience
        }
    }

    static void deleteTree(Path dir) {
        Leftovers.deleteTree(dir);
    }

    /** Processes whose command line mentions this VM's state directory: must be none after close. */
    List<Long> leftoverProcesses() {
        return Leftovers.processesMentioning(stateDir.toString()).stream()
                .map(ProcessHandle::pid)
                .toList();
    }
}
