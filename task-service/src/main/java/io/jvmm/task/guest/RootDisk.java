package io.jvmm.task.guest;

import java.util.List;

/**
 * How a container's root reaches the guest when it is not on the share: the disk's serial, where the
 * agent mounts it ("" for the bundle's rootfs: a lone container's disk holds its root alone), and the
 * pod's guest volumes the container's spec binds (made by the agent before the container).
 */
public record RootDisk(String serial, String mount, List<Volume> volumes) {
    /** The root is on the share: no disk. */
    public static final RootDisk NONE = new RootDisk("", "", List.of());

    /** A directory in the guest that a pod's containers share (an emptyDir, the pod's /dev/shm). */
    public record Volume(String path, int mode) {}

    public RootDisk {
        volumes = List.copyOf(volumes);
    }

    /** A lone container's disk, mounted as its bundle's rootfs. */
    public static RootDisk lone(String serial) {
        return new RootDisk(serial, "", List.of());
    }
}
