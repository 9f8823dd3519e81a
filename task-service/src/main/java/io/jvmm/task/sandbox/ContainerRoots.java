package io.jvmm.task.sandbox;

import io.jvmm.api.json.JsonObject;
import io.jvmm.task.CreateTask;
import io.jvmm.vmm.VirtualMachine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The one owner of the containers' roots of a sandbox: assembled on the host from containerd's mounts (in
 * the share's tree), handed to the guest on the virtiofs share or as an ext4 image plugged as a disk,
 * with the spec's host paths shared, and all of it undone on release.
 */
final class ContainerRoots {
    private static final Logger LOG = LogManager.getLogger(ContainerRoots.class);
    /** Where the guest's init mounts the virtiofs share. */
    static final String GUEST_SHARE = "/run/jvmm/share";
    /** The serial of a container's root disk: a sandbox that has one has no other. */
    static final String ROOT_DISK_SERIAL = "jvmm-rootfs";

    private final ShareTree share;
    private final Path stateDir;

    ContainerRoots(ShareTree share, Path stateDir) {
        this.share = share;
        this.stateDir = stateDir;
    }

    /**
     * Mounts the root, lets {@code boot} bring the VM up, then gives the root to the guest: as a disk of
     * {@code diskVm} when there is one (a sandbox without a share), else on the share. A failure leaves
     * nothing mounted.
     */
    Sandbox.GuestRoot prepare(
            CreateTask request, JsonObject spec, Sandbox.BootStep boot, Supplier<Optional<VirtualMachine>> diskVm)
            throws IOException {
        String id = request.id();
        share.mountRootfs(id, request.rootfs(), request.bundle());
        try {
            boot.boot();
            Optional<VirtualMachine> vm = diskVm.get();
            String diskSerial = vm.isPresent() ? plug(id, vm.get()) : "";
            String rootPath = diskSerial.isEmpty() ? GUEST_SHARE + "/" + id + "/rootfs" : "rootfs";
            byte[] guestSpec = GuestSpec.translate(
                    spec, id, rootPath, (host, i, ro) -> GUEST_SHARE + "/" + share.shareVolume(id, host, i, ro));
            return new Sandbox.GuestRoot(guestSpec, diskSerial);
        } catch (IOException | RuntimeException e) {
            release(id);
            throw e;
        }
    }

    /** An ext4 image of the root plugged into {@code vm} as a disk; answers its serial. */
    private String plug(String containerId, VirtualMachine vm) throws IOException {
        long begin = System.nanoTime();
        Path image = diskImage(containerId);
        RootfsImage.build(share.rootfs(containerId), image);
        vm.plugDisk(image, ROOT_DISK_SERIAL, VirtualMachine.MONITOR_CALL);
        LOG.info(
                "root of {} plugged as a disk ({} MiB image) in {} ms",
                containerId,
                Files.size(image) >> 20,
                (System.nanoTime() - begin) / 1_000_000);
        return ROOT_DISK_SERIAL;
    }

    /** Where the root disk of a container is (checkpoints save and restore it). */
    Path diskImage(String containerId) {
        return stateDir.resolve("disks").resolve(SandboxDirs.shortHash(containerId) + ".img");
    }

    void release(String containerId) {
        share.removeContainer(containerId);
        try {
            Files.deleteIfExists(diskImage(containerId)); // a VM still running keeps its open file
        } catch (IOException e) {
            LOG.warn("cannot remove the root disk of {}: {}", containerId, e.getMessage());
        }
    }
}
