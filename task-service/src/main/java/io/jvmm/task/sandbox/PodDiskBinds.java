package io.jvmm.task.sandbox;

import io.jvmm.task.TaskException;
import io.jvmm.task.guest.RootDisk;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where each host bind of a pod's container goes when the pod has no share (its VM maps its template's
 * memory copy-on-write, which vhost-user would undo): into the container's disk, or into the guest, or
 * nowhere. The rule keeps every write where the pod expects to read it:
 * <ul>
 * <li>a file, or a read-only directory, is copied onto the container's disk when it is created
 * ({@code /etc/hosts}, {@code /etc/resolv.conf}, a ConfigMap, a Secret, a service-account token): later
 * changes on the host are not seen, and writes stay in the guest;</li>
 * <li>a writable directory that is empty (an emptyDir, the pod's {@code /dev/shm}) becomes a directory in
 * the guest, one per host path, shared by every container of the pod that binds it and gone with the pod;</li>
 * <li>a writable directory that holds something (a hostPath the pod writes for the host to read) is
 * refused: only the share carries writes back to the host, and this pod has none.</li>
 * </ul>
 * What is copied is limited ({@link #MAX_COPIED_BYTES}): a pod that binds more needs the share.
 */
final class PodDiskBinds implements GuestSpec.HostPathSharer {
    /** Copies onto one container's disk, at most: binds larger than this need the share. */
    static final long MAX_COPIED_BYTES = 256L << 20;

    static final String GUEST_VOLUMES = "/run/jvmm/volumes";

    private final ShareTree share;
    private final String containerId;
    private final String diskMount;
    private final List<RootDisk.Volume> volumes = new ArrayList<>();
    private long copied;

    /** {@code diskMount}: where the guest mounts this container's disk. */
    PodDiskBinds(ShareTree share, String containerId, String diskMount) {
        this.share = share;
        this.containerId = containerId;
        this.diskMount = diskMount;
    }

    @Override
    public String share(Path hostPath, int index, boolean readOnly) throws IOException {
        if (!Files.exists(hostPath)) {
            throw new IOException("bind mount source " + hostPath + " does not exist");
        }
        if (Files.isDirectory(hostPath) && !readOnly) {
            if (!isEmpty(hostPath)) {
                throw TaskException.failedPrecondition("container " + containerId + ": the writable bind of "
                        + hostPath + " holds files, and this pod runs from a VM template without a virtiofs"
                        + " share, which alone carries writes back to the host; run the pod without templates"
                        + " (annotation jvmm.io/templates=false where the runtime allows it, or templates off)");
            }
            String path = GUEST_VOLUMES + "/" + SandboxDirs.shortHash(hostPath.toString());
            int mode = ((Integer) Files.getAttribute(hostPath, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 07777;
            volumes.add(new RootDisk.Volume(path, mode));
            return path;
        }
        copied += RootfsImage.usedBytes(hostPath);
        if (copied > MAX_COPIED_BYTES) {
            throw TaskException.failedPrecondition("container " + containerId + ": its binds hold more than "
                    + (MAX_COPIED_BYTES >> 20) + " MiB (" + hostPath + " among them), which a pod from a VM"
                    + " template copies onto the container's disk; run the pod without templates (annotation"
                    + " jvmm.io/templates=false where the runtime allows it, or templates off)");
        }
        share.shareVolume(containerId, hostPath, index, readOnly);
        return diskMount + "/mounts/" + index;
    }

    /** The pod's guest volumes the binds so far became. */
    List<RootDisk.Volume> volumes() {
        return List.copyOf(volumes);
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        }
    }
}
