package io.jvmm.vmm.cloudhypervisor;

import io.jvmm.api.json.Json;
import io.jvmm.api.json.JsonObject;
import io.jvmm.vmm.AbstractVm;
import io.jvmm.vmm.GuestSnapshot;
import io.jvmm.vmm.HostTools;
import io.jvmm.vmm.MonitorLauncher;
import io.jvmm.vmm.SupervisedProcess;
import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.VmException;
import io.jvmm.vmm.VmmType;
import io.jvmm.vmm.http.MonitorApi;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Cloud Hypervisor VM, created with one vm.create (vmm-api/cloud-hypervisor-api.yaml) and booted
 * with vm.boot, or restored from a snapshot with vm.restore. Its vsock is hybrid by itself; the share
 * goes through virtiofsd (vhost-user-fs), which needs the guest memory shared.
 *
 * <p>A snapshot is the directory Cloud Hypervisor writes ({@code config.json}, {@code state.json},
 * {@code memory-ranges}). Its config.json names the saved VM's sockets and console file, and restore has
 * no override for them, so a restored VM is given its own copy of config.json with its own paths, next
 * to links to the other two files. Memory is restored on demand (userfaultfd): each clone gets private
 * copies of the pages it touches, so clones do not share memory with each other as QEMU's and
 * Firecracker's do (docs/snapshots.md).
 */
public final class CloudHypervisorVm extends AbstractVm {
    private static final String PREFIX = "/api/v1/";

    private final MonitorLauncher launcher;
    private final Optional<GuestSnapshot> restoreFrom;
    private MonitorApi api;

    public CloudHypervisorVm(VmConfig config, MonitorLauncher launcher) {
        this(config, launcher, Optional.empty());
    }

    private CloudHypervisorVm(VmConfig config, MonitorLauncher launcher, Optional<GuestSnapshot> restoreFrom) {
        super(config);
        this.restoreFrom = restoreFrom;
        refuseQemuOnlySettings(config, "Cloud Hypervisor");
        this.launcher = launcher;
    }

    /**
     * A VM that {@link #start} restores from {@code snapshot} (checked against {@code config} first). The
     * snapshot holds the devices it was saved with: a share cannot be added to a restored VM (virtiofs
     * needs shared memory, which the restored memory is not), so asking for one is refused.
     */
    public static CloudHypervisorVm restoring(VmConfig config, MonitorLauncher launcher, GuestSnapshot snapshot) {
        if (config.shareDir().isPresent()) {
            throw new VmException.InvalidConfig(
                    "a Cloud Hypervisor VM restored from a snapshot cannot have a virtiofs share");
        }
        snapshot.verifyFor(config, VmmType.CLOUD_HYPERVISOR);
        return new CloudHypervisorVm(config, launcher, Optional.of(snapshot));
    }

    public Path apiSocket() {
        return config.stateDir().resolve("cloud-hypervisor.sock");
    }

    @Override
    protected void boot(long deadline) {
        config.shareDir().ifPresent(dir -> startVirtiofs(dir, deadline));
        SupervisedProcess ch = launcher.launch(
                "cloud-hypervisor",
                List.of(HostTools.cloudHypervisor().toString(), "--api-socket", "path=" + apiSocket()),
                apiSocket(),
                config.stateDir().resolve("cloud-hypervisor.log"));
        monitorStarted(ch);
        HostTools.awaitFile(apiSocket(), ch, deadline);
        api = new MonitorApi("cloud-hypervisor", apiSocket());
        api.get(PREFIX + "vmm.ping");
        if (restoreFrom.isPresent()) {
            restore(restoreFrom.get());
            return;
        }
        api.put(PREFIX + "vm.create", vmConfig());
        api.put(PREFIX + "vm.boot", null);
    }

    private void restore(GuestSnapshot snapshot) {
        leaseSnapshot(snapshot); // memory is read from memory-ranges on demand: not deleted while this VM runs
        Path source = restoreSource(snapshot);
        api.put(
                PREFIX + "vm.restore",
                Map.of(
                        "source_url",
                        "file://" + source,
                        "memory_restore_mode",
                        "OnDemand",
                        "prefault",
                        false,
                        "resume",
                        true));
    }

    /** This VM's view of the snapshot: its own config.json (its sockets, its console), the rest linked. */
    Path restoreSource(GuestSnapshot snapshot) {
        Path source = config.stateDir().resolve("restore");
        try {
            Files.createDirectories(source);
            Path savedConfig = snapshot.stateFiles(VmmType.CLOUD_HYPERVISOR).getFirst();
            if (!(Json.parse(savedConfig) instanceof JsonObject saved) || saved.object("vsock") == null) {
                throw new VmException.SnapshotMismatch(
                        "snapshot " + snapshot.dir() + " has no vsock device: no agent to reach");
            }
            saved.object("vsock").put("socket", config.vsockSocket().toString());
            saved.put(
                    "serial", Map.of("mode", "File", "file", config.consoleLog().toString()));
            Files.write(source.resolve("config.json"), Json.writeBytes(saved, false));
            for (Path linked : List.of(
                    snapshot.stateFiles(VmmType.CLOUD_HYPERVISOR).get(1),
                    snapshot.memoryFile(VmmType.CLOUD_HYPERVISOR))) {
                Path link = source.resolve(linked.getFileName());
                Files.deleteIfExists(link);
                Files.createSymbolicLink(link, linked.toAbsolutePath());
            }
        } catch (IOException e) {
            throw new VmException.BootFailed(
                    "cannot prepare the restore of " + snapshot.dir() + ": " + e.getMessage(), e);
        }
        return source;
    }

    /** Pauses the VM and has Cloud Hypervisor write its snapshot files into the partial directory. */
    @Override
    public void saveSnapshot(GuestSnapshot target, Duration timeout) {
        if (config.shareDir().isPresent() || restoreFrom.isPresent()) {
            throw new VmException.InvalidConfig("only a VM booted without a virtiofs share can be saved");
        }
        requireRunningForSnapshot();
        pause(timeout);
        writeSnapshot(target, VmmType.CLOUD_HYPERVISOR, partial -> {
            api.put(PREFIX + "vm.snapshot", Map.of("destination_url", "file://" + partial));
            return api.get(PREFIX + "vmm.ping").text("version", "unknown");
        });
    }

    /** The VmConfig of vm.create: only fields the spec declares, each of them required or meant. */
    Map<String, Object> vmConfig() {
        Map<String, Object> vm = new LinkedHashMap<>();
        vm.put("cpus", Map.of("boot_vcpus", config.vcpus(), "max_vcpus", config.vcpus()));
        vm.put(
                "memory",
                Map.of(
                        "size",
                        (long) config.memoryMib() << 20,
                        "shared",
                        config.shareDir().isPresent()));
        vm.put(
                "payload",
                Map.of(
                        "kernel",
                        config.kernel().toString(),
                        "initramfs",
                        config.initrd().toString(),
                        "cmdline",
                        kernelArgs()));
        config.runtimeDisk()
                .ifPresent(disk ->
                        vm.put("disks", List.of(Map.of("path", disk.toString(), "readonly", true, "id", "runtime"))));
        config.shareDir()
                .ifPresent(dir -> vm.put(
                        "fs",
                        List.of(Map.of(
                                "tag",
                                "jvmm",
                                "socket",
                                config.virtiofsSocket().toString(),
                                "num_queues",
                                1,
                                "queue_size",
                                1024))));
        vm.put(
                "vsock",
                Map.of("cid", config.guestCid(), "socket", config.vsockSocket().toString()));
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
