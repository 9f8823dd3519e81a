package io.jvmm.task.sandbox;

import io.jvmm.api.json.JsonObject;
import io.jvmm.task.CreateTask;
import io.jvmm.task.guest.RootDisk;
import io.jvmm.vmm.VirtualMachine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The one owner of the containers' roots of a sandbox: assembled on the host from containerd's mounts (in
 * the share's tree), handed to the guest as its {@link RootTransport} says (on the virtiofs share, as a
 * lone container's disk, or as a pod container's disk with copies of its binds), and all of it undone on
 * release.
 */
final class ContainerRoots {
    private static final Logger LOG = LogManager.getLogger(ContainerRoots.class);
    /** Where the guest's init mounts the virtiofs share. */
    static final String GUEST_SHARE = "/run/jvmm/share";
    /** Where the guest's agent mounts a pod container's disk, below a directory named by its serial. */
    static final String GUEST_DISKS = "/run/jvmm/disks";
    /** The serial of a lone container's root disk: a sandbox that has one has no other. */
    static final String ROOT_DISK_SERIAL = "jvmm-rootfs";

    private final ShareTree share;
    private final Path stateDir;
    /** The pod containers whose disks are plugged (unplugged at release). */
    private final Set<String> podDisks = ConcurrentHashMap.newKeySet();
    /** Image sizes {@link #loneDiskFits} measured at boot, for the build at create: one walk of the root, not two. */
    private final Map<String, Long> measured = new ConcurrentHashMap<>();

    ContainerRoots(ShareTree share, Path stateDir) {
        this.share = share;
        this.stateDir = stateDir;
    }

    /**
     * Mounts the root, lets {@code boot} bring the VM up, then gives the root to the guest as {@code
     * transport} (known once the VM is up) says, into {@code vm}. A failure leaves nothing mounted or plugged.
     */
    Sandbox.GuestRoot prepare(
            CreateTask request,
            JsonObject spec,
            Sandbox.BootStep boot,
            Supplier<RootTransport> transport,
            Supplier<VirtualMachine> vm)
            throws IOException {
        String id = request.id();
        share.mountRootfs(id, request.rootfs(), request.bundle());
        try {
            boot.boot();
            return switch (transport.get()) {
                case SHARE ->
                    new Sandbox.GuestRoot(
                            GuestSpec.translate(
                                    spec,
                                    id,
                                    GUEST_SHARE + "/" + id + "/rootfs",
                                    (host, i, ro) -> GUEST_SHARE + "/" + share.shareVolume(id, host, i, ro)),
                            RootDisk.NONE);
                case LONE_DISK -> loneDisk(id, spec, vm.get());
                case POD_DISKS -> podDisk(id, spec, vm.get());
            };
        } catch (IOException | RuntimeException e) {
            release(id, vm);
            throw e;
        }
    }

    /** An ext4 image of the root alone, the VM's one virtio-blk disk, mounted as the bundle's rootfs. */
    private Sandbox.GuestRoot loneDisk(String id, JsonObject spec, VirtualMachine vm) throws IOException {
        byte[] guestSpec = GuestSpec.translate(spec, id, "rootfs", (host, i, ro) -> {
            throw new IOException("a container whose root is a lone disk has no binds"); // SandboxKind.LONE_ROOT_ONLY
        });
        long begin = System.nanoTime();
        Path image = diskImage(id);
        Long size = measured.remove(id);
        RootfsImage.build(share.rootfs(id), image, size != null ? size : RootfsImage.sizeBytes(share.rootfs(id)));
        vm.plugDisk(image, ROOT_DISK_SERIAL, VirtualMachine.MONITOR_CALL);
        logPlugged(id, image, begin);
        return new Sandbox.GuestRoot(guestSpec, RootDisk.lone(ROOT_DISK_SERIAL));
    }

    /**
     * An ext4 image of the container's directory in the tree (its root at {@code rootfs/}, the binds it
     * copies at {@code mounts/<i>}), plugged as a SCSI disk of its own; the guest mounts it below
     * {@link #GUEST_DISKS} and the spec names the root and binds there.
     */
    private Sandbox.GuestRoot podDisk(String id, JsonObject spec, VirtualMachine vm) throws IOException {
        String serial = podDiskSerial(id);
        String mount = GUEST_DISKS + "/" + serial;
        PodDiskBinds binds = new PodDiskBinds(share, id, mount);
        byte[] guestSpec = GuestSpec.translate(spec, id, mount + "/rootfs", binds);
        long begin = System.nanoTime();
        Path image = diskImage(id);
        RootfsImage.build(share.containerTree(id), image);
        podDisks.add(id);
        vm.plugPodDisk(image, serial, VirtualMachine.MONITOR_CALL);
        logPlugged(id, image, begin);
        return new Sandbox.GuestRoot(guestSpec, new RootDisk(serial, mount, binds.volumes()));
    }

    /**
     * Whether the state root has room for a lone disk of {@code containerId}'s root (mounted by {@link
     * #prepare}): a root that does not fit travels over the share instead of failing the container.
     */
    boolean loneDiskFits(String containerId) {
        try {
            long size = RootfsImage.sizeBytes(share.rootfs(containerId));
            Admission.requireSpace(stateDir, size, "a root disk");
            // Nothing writes the root between the boot and the create (the container has not run).
            measured.put(containerId, size);
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.info("the root of {} travels over the share: {}", containerId, e.getMessage());
            return false;
        }
    }

    /** A pod container's disk serial: SCSI and QMP ids take 20 characters of this set. */
    static String podDiskSerial(String containerId) {
        return "jd-" + SandboxDirs.shortHash(containerId).substring(0, 16);
    }

    private static void logPlugged(String id, Path image, long begin) throws IOException {
        LOG.info(
                "root of {} plugged as a disk ({} MiB image) in {} ms",
                id,
                Files.size(image) >> 20,
                (System.nanoTime() - begin) / 1_000_000);
    }

    /** Where the root disk of a container is (checkpoints save and restore it). */
    Path diskImage(String containerId) {
        return stateDir.resolve("disks").resolve(SandboxDirs.shortHash(containerId) + ".img");
    }

    /**
     * Undoes what {@link #prepare} did: a pod container's disk unplugged from {@code vm} (its agent unmounted
     * it at delete), the tree's mounts, the image.
     */
    void release(String containerId, Supplier<VirtualMachine> vm) {
        measured.remove(containerId);
        if (podDisks.remove(containerId)) {
            VirtualMachine machine = vm.get();
            try {
                machine.unplugPodDisk(podDiskSerial(containerId), VirtualMachine.MONITOR_CALL);
            } catch (RuntimeException e) {
                if (machine.exitFuture().isDone()) {
                    LOG.debug("disk of {} not unplugged: its VM has ended ({})", containerId, e.getMessage());
                } else {
                    // The running VM keeps the deleted image open: its space comes back when the pod ends.
                    LOG.warn("cannot unplug the disk of {}: {}", containerId, e.getMessage());
                }
            }
        }
        share.removeContainer(containerId);
        try {
            Files.deleteIfExists(diskImage(containerId)); // a VM still running keeps its open file
        } catch (IOException e) {
            LOG.warn("cannot remove the root disk of {}: {}", containerId, e.getMessage());
        }
    }
}
