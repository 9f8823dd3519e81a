package io.jvmm.task.sandbox;

import io.jvmm.vmm.MountTable;
import io.jvmm.vmm.SafeTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The host side of a sandbox's virtio-fs share, laid out so that the guest cannot steer a host mount
 * (Kata's split, docs/security.md):
 * <ul>
 * <li>{@code m/}, the tree only the shim writes: each container's root at {@code m/<id>/rootfs} and its
 * volumes at {@code m/<id>/mounts/<i>}. A shared mount point, so what is mounted below it propagates.</li>
 * <li>{@code share/}, what virtiofsd exports: a read-only slave view of {@code m/}. The guest sees every
 * mount made below {@code m/}, each with its own flags (a container's root writable, a read-only volume
 * read-only), but cannot create, rename or replace anything in the tree around them, so a symlink it
 * would plant where the shim is about to mount cannot exist.</li>
 * <li>{@code ro/}, a private mount point where read-only binds are made read-only before they join
 * {@code m/} ({@link HostMounts#bindReadOnly}).</li>
 * </ul>
 * A container's root is the one place below {@code m/} the guest (and the container's image) can write:
 * mounts inside it are opened beneath it without following symlinks ({@link BeneathPath}). Teardown
 * unmounts only the mount points this class makes, by their paths in {@code m/}, each detached with all
 * below it, so it never resolves a path the guest could have changed.
 */
final class ShareTree {
    private static final Logger LOG = LogManager.getLogger(ShareTree.class);
    private static final String TREE = "m";
    private static final String VIEW = "share";
    private static final String STAGING = "ro";
    /** The mount points this class makes, relative to the state directory; teardown unmounts these only. */
    private static final Pattern OWN_MOUNT = Pattern.compile("(m/[^/]+/(rootfs|mounts/\\d+)|share|m|ro)");

    private final Path stateDir;

    private ShareTree(Path stateDir) {
        this.stateDir = stateDir;
    }

    /** Makes the tree, the view and the staging point in {@code stateDir} (which must be the shim's alone). */
    static ShareTree create(Path stateDir) throws IOException {
        ShareTree t = new ShareTree(stateDir);
        for (Path d : List.of(t.tree(), t.exported(), t.staging())) {
            Files.createDirectories(d);
        }
        HostMounts.makeSharedMountPoint(t.tree());
        HostMounts.bindReadOnlyView(t.tree(), t.exported());
        HostMounts.makePrivateMountPoint(t.staging());
        return t;
    }

    /** The directory virtiofsd exports. */
    Path exported() {
        return stateDir.resolve(VIEW);
    }

    private Path tree() {
        return stateDir.resolve(TREE);
    }

    private Path staging() {
        return stateDir.resolve(STAGING);
    }

    private Path containerDir(String containerId) {
        return tree().resolve(containerId);
    }

    /** A container's directory in the tree: its root at {@code rootfs}, its volumes at {@code mounts/<i>}. */
    Path containerTree(String containerId) {
        return containerDir(containerId);
    }

    /** Where a container's root is assembled (the guest finds it at the same place below the share). */
    Path rootfs(String containerId) {
        return containerDir(containerId).resolve("rootfs");
    }

    /**
     * Assembles a container's root from containerd's mounts (or binds its bundle's rootfs when there are
     * none). A mount with a target inside the root is made on a descriptor opened beneath the root.
     */
    void mountRootfs(String containerId, List<RootfsMount> mounts, Path bundle) throws IOException {
        Path root = rootfs(containerId);
        createOwnDirectory(root);
        try {
            if (mounts.isEmpty()) {
                HostMounts.bind(bundle.resolve("rootfs"), root);
            }
            for (RootfsMount m : mounts) {
                if (m.target().isEmpty() || m.target().equals("/")) {
                    HostMounts.mount(m.type(), m.source(), root, m.options());
                    continue;
                }
                try (BeneathPath at = BeneathPath.open(root, m.target().replaceFirst("^/+", ""))) {
                    HostMounts.mount(m.type(), m.source(), at.procPath(), m.options());
                }
            }
        } catch (IOException e) {
            removeContainer(containerId);
            throw e;
        }
    }

    /** Binds a host path (a volume of the spec) at the container's {@code mounts/<index>}; returns that path below the tree. */
    String shareVolume(String containerId, Path hostPath, int index, boolean readOnly) throws IOException {
        if (!Files.exists(hostPath)) {
            throw new IOException("bind mount source " + hostPath + " does not exist");
        }
        Path dir = containerDir(containerId).resolve("mounts");
        createOwnDirectory(dir);
        Path target = dir.resolve(Integer.toString(index));
        if (Files.isDirectory(hostPath)) {
            createOwnDirectory(target);
        } else if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            Files.createFile(target);
        }
        if (readOnly) {
            Path staging = staging().resolve(containerId + "." + index);
            if (Files.isDirectory(hostPath)) {
                createOwnDirectory(staging);
            } else if (!Files.exists(staging, LinkOption.NOFOLLOW_LINKS)) {
                Files.createFile(staging);
            }
            try {
                HostMounts.bindReadOnly(hostPath, target, staging);
            } finally {
                Files.deleteIfExists(staging);
            }
        } else {
            HostMounts.bind(hostPath, target);
        }
        return containerId + "/mounts/" + index;
    }

    /** Creates a directory (and its parents) in the tree; an entry already there must be a real directory. */
    private static void createOwnDirectory(Path dir) throws IOException {
        Files.createDirectories(dir);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(dir + " is not a directory");
        }
    }

    /** Unmounts a container's root and volumes and deletes its directory in the tree. */
    void removeContainer(String containerId) {
        Path dir = containerDir(containerId);
        try {
            unmountOwn(stateDir, dir);
            SafeTree.delete(dir);
        } catch (IOException e) {
            LOG.warn("cannot clean up {}: {}", dir, e.getMessage());
        }
    }

    /**
     * Undoes every mount a {@link ShareTree} made in {@code stateDir} (also after the shim that made them
     * died): the containers' mount points first, then the view, the tree and the staging point. Each is
     * detached with everything below it, so mounts inside a container's root (whose directories the guest
     * may have renamed or replaced) go without ever being named.
     */
    static void unmountAll(Path stateDir) throws IOException {
        unmountOwn(stateDir, stateDir);
    }

    private static void unmountOwn(Path stateDir, Path below) throws IOException {
        // Deepest first (MountTable's order): a container's points before the view and the tree. A point
        // listed twice has two mounts stacked on it, and is unmounted twice.
        IOException first = null;
        for (Path point : MountTable.under(below)) {
            if (OWN_MOUNT.matcher(stateDir.relativize(point).toString()).matches()) {
                try {
                    HostMounts.unmount(point);
                } catch (IOException e) {
                    // The others are still undone: one that cannot be must not keep the rest mounted.
                    first = first == null ? e : first;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
