package io.jvmm.vmm.cloudhypervisor;

import io.jvmm.vmm.AbstractVm;
import io.jvmm.vmm.HostTools;
import io.jvmm.vmm.MonitorLauncher;
import io.jvmm.vmm.SupervisedProcess;
import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.http.MonitorApi;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Cloud Hypervisor VM, created with one vm.create (vmm-api/cloud-hypervisor-api.yaml) and booted
 * with vm.boot. Its vsock is hybrid by itself; the share goes through virtiofsd (vhost-user-fs), which
 * needs the guest memory shared.
 */
public final class CloudHypervisorVm extends AbstractVm {
    private static final String PREFIX = "/api/v1/";

    private final MonitorLauncher launcher;
    private MonitorApi api;

    public CloudHypervisorVm(VmConfig config, MonitorLauncher launcher) {
        super(config);
        if (config.nic().isPresent()) {
            // Not silently ignored: pod networking is wired for QEMU only so far.
            throw new io.jvmm.vmm.VmException.InvalidConfig("a network card in a pod's namespace is only supported with QEMU");
        }
        this.launcher = launcher;
    }

    public Path apiSocket() {
        return config.stateDir().resolve("cloud-hypervisor.sock");
    }

    @Override
    protected void boot(long deadline) {
        config.shareDir().ifPresent(dir -> startVirtiofs(dir, deadline));
        SupervisedProcess ch = launcher.launch("cloud-hypervisor", List.of(HostTools.cloudHypervisor().toString(),
                "--api-socket", "path=" + apiSocket()), apiSocket(), config.stateDir().resolve("cloud-hypervisor.log"));
        monitorStarted(ch);
        HostTools.awaitFile(apiSocket(), ch, deadline);
        api = new MonitorApi("cloud-hypervisor", apiSocket());
        api.get(PREFIX + "vmm.ping");
        api.put(PREFIX + "vm.create", vmConfig());
        api.put(PREFIX + "vm.boot", null);
    }

    /** The VmConfig of vm.create: only fields the spec declares, each of them required or meant. */
    Map<String, Object> vmConfig() {
        Map<String, Object> vm = new LinkedHashMap<>();
        vm.put("cpus", Map.of("boot_vcpus", config.vcpus(), "max_vcpus", config.vcpus()));
        vm.put("memory", Map.of("size", (long) config.memoryMib() << 20, "shared", config.shareDir().isPresent()));
        vm.put("payload", Map.of("kernel", config.kernel().toString(), "initramfs", config.initrd().toString(),
                "cmdline", kernelArgs()));
        config.runtimeDisk().ifPresent(disk -> vm.put("disks", List.of(Map.of("path", disk.toString(), "readonly", true, "id", "runtime"))));
        config.shareDir().ifPresent(dir -> vm.put("fs", List.of(Map.of("tag", "jvmm", "socket", config.virtiofsSocket().toString(),
                "num_queues", 1, "queue_size", 1024))));
        vm.put("vsock", Map.of("cid", config.guestCid(), "socket", config.vsockSocket().toString()));
        vm.put("serial", Map.of("mode", "File", "file", config.consoleLog().toString()));
        vm.put("console", Map.of("mode", "Off"));
        return vm;
    }

    private String kernelArgs() {
        String base = "console=ttyS0 quiet panic=-1";
        return config.extraKernelArgs().isEmpty() ? base : base + " " + config.extraKernelArgs();
    }

    @Override
    protected void doPause(Duration timeout) {
        api.put(PREFIX + "vm.pause", null);
    }

    @Override
    protected void doResume(Duration timeout) {
        api.put(PREFIX + "vm.resume", null);
    }

    @Override
    protected void doPressPowerButton(Duration timeout) {
        api.put(PREFIX + "vm.power-button", null);
    }

    @Override
    protected void closeControl() {
        // one connection per request: nothing held open
    }

    @Override
    protected List<Path> sockets() {
        return List.of(apiSocket(), config.vsockSocket(), config.virtiofsSocket());
    }
}
