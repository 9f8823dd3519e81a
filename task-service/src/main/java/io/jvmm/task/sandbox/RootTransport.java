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

    /**
     * A pod's containers travel on disks when its VM comes from a template ({@code templated}: the share
     * would cost it the template's memory). A lone container that needs nothing from the host but its root,
     * and has no network card, gets that root as a disk when its VM comes from a template or the
     * configuration asks for it ({@code diskAsked}: {@code loneRootDisk}, a VMM that plugs disks), and the
     * image has room ({@code diskFits}): its VM then has no vhost-user device, so it can be checkpointed and,
     * when templated, share the template's memory. Everything else uses the share.
     */
    static RootTransport of(
            boolean templated, SandboxKind kind, NetworkPlan plan, boolean diskAsked, boolean diskFits) {
        return switch (kind) {
            case POD -> templated ? POD_DISKS : SHARE;
            case LONE_ROOT_ONLY ->
                (templated || diskAsked) && diskFits && plan instanceof NetworkPlan.Isolated ? LONE_DISK : SHARE;
            case LONE -> SHARE;
        };
    }

    boolean hasShare() {
        return this == SHARE;
    }
}
