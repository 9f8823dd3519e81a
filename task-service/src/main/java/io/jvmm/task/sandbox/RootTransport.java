package io.jvmm.task.sandbox;

/**
 * How the containers' roots of one VM reach its guest (docs/snapshots.md). Only a VM without a share
 * (no vhost-user device) can map its template's memory copy-on-write and be checkpointed.
 */
enum RootTransport {
    /** The virtiofs share: roots and binds live on the host. */
    SHARE,
    /** A lone container's root as one virtio-blk disk (an ext4 image of the root). */
    LONE_DISK,
    /**
     * A pod's containers each on a SCSI disk of their own holding the root and copies of its host binds;
     * the pod's empty writable directories (emptyDir, /dev/shm) live in the guest ({@link PodDiskBinds}).
     */
    POD_DISKS;

    /** A VM restored from a template ({@code templated}) carries its roots on disks wherever it can. */
    static RootTransport of(boolean templated, SandboxKind kind, NetworkPlan plan) {
        if (!templated) {
            return SHARE;
        }
        return switch (kind) {
            case POD -> POD_DISKS;
            case LONE_ROOT_ONLY -> plan instanceof NetworkPlan.Isolated ? LONE_DISK : SHARE;
            case LONE -> SHARE;
        };
    }

    boolean hasShare() {
        return this == SHARE;
    }
}
