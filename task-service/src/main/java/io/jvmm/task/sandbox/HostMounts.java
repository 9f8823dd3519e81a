package io.jvmm.task.sandbox;

import io.jvmm.sys.Libc;
import io.jvmm.sys.Syscall;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Mounts on the host. containerd's mounts go through mount(8), so every option its snapshotters use works;
 * binds, propagation changes and unmounts are single system calls (mount(2), umount2(2)): a teardown made
 * of a dozen spawned processes ran long enough under load for containerd to kill the shim in the middle of
 * it. Paths are used as they are (mount(8) with {@code --no-canonicalize}): the callers name paths in
 * directories only the shim writes, or descriptors ({@link BeneathPath}), and resolving them again would
 * follow symlinks.
 */
final class HostMounts {

    private HostMounts() {}

    /** One containerd mount ({@code type}, {@code source}, mount(8) options) at {@code target}. */
    static void mount(String type, String source, Path target, List<String> options) throws IOException {
        List<String> command =
                new ArrayList<>(List.of("mount", "--no-canonicalize", "-t", type.isEmpty() ? "none" : type));
        if (!options.isEmpty()) {
            command.addAll(List.of("-o", String.join(",", options)));
        }
        command.addAll(List.of(source.isEmpty() ? "none" : source, target.toString()));
        run(command);
    }

    private static final long MS_RDONLY = 1;
    private static final long MS_REMOUNT = 32;
    private static final long MS_BIND = 4096;
    private static final long MS_REC = 16384;
    private static final long MS_PRIVATE = 1 << 18;
    private static final long MS_SLAVE = 1 << 19;
    private static final long MS_SHARED = 1 << 20;
    private static final long MNT_DETACH = 2;
    private static final long UMOUNT_NOFOLLOW = 8;
    private static final int EINVAL = 22;
    private static final int ENOENT = 2;

    /** A recursive, writable bind mount of {@code source} at {@code target}. */
    static void bind(Path source, Path target) throws IOException {
        mount2(source.toString(), target, MS_BIND | MS_REC);
    }

    /**
     * A read-only bind mount of {@code source} at {@code target}, read-only in every copy of it: it is made
     * and remounted read-only at {@code staging} (a private mount point, so nothing propagates from there)
     * and only then bound at {@code target}. Remounting read-only at {@code target} itself would leave the
     * copies propagated to virtiofsd writable: mount flags do not propagate (Kata CVE-2020-28914).
     */
    static void bindReadOnly(Path source, Path target, Path staging) throws IOException {
        mount2(source.toString(), staging, MS_BIND | MS_REC);
        try {
            mount2(null, staging, MS_REMOUNT | MS_BIND | MS_RDONLY);
            mount2(staging.toString(), target, MS_BIND | MS_REC);
        } finally {
            unmount(staging);
        }
    }

    /** Makes {@code dir} a mount point of its own with shared propagation: mounts below it reach its slaves. */
    static void makeSharedMountPoint(Path dir) throws IOException {
        mount2(dir.toString(), dir, MS_BIND);
        mount2(null, dir, MS_SHARED);
    }

    /** Makes {@code dir} a mount point of its own that propagates nothing anywhere. */
    static void makePrivateMountPoint(Path dir) throws IOException {
        mount2(dir.toString(), dir, MS_BIND);
        mount2(null, dir, MS_PRIVATE);
    }

    /**
     * Makes {@code view} a read-only view of {@code tree}: a slave of it (mounts made below {@code tree}
     * appear below {@code view}, each with its own flags), and a slave's copies (virtiofsd's) are slaves too.
     */
    static void bindReadOnlyView(Path tree, Path view) throws IOException {
        mount2(tree.toString(), view, MS_BIND);
        mount2(null, view, MS_SLAVE);
        mount2(null, view, MS_REMOUNT | MS_BIND | MS_RDONLY);
    }

    /** mount(2) with no file system type and no data: binds, remounts and propagation changes. */
    private static void mount2(String source, Path target, long flags) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = source == null ? MemorySegment.NULL : arena.allocateFrom(source);
            MemorySegment dst = arena.allocateFrom(target.toString());
            Libc.call(Syscall.MOUNT, src.address(), dst.address(), 0, flags, 0, 0)
                    .orThrow("mount " + (source == null ? "" : source + " ") + "on " + target + " (flags "
                            + Long.toHexString(flags) + ")");
        }
    }

    /**
     * Detaches the mount at {@code point} with everything mounted below it (lazily: busy mounts go when
     * their last user does); quiet when there is none. The last part is not followed if it is a symlink.
     */
    static void unmount(Path point) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Libc.Result r = Libc.call(
                    Syscall.UMOUNT2, arena.allocateFrom(point.toString()).address(), MNT_DETACH | UMOUNT_NOFOLLOW);
            if (r.value() < 0 && r.errno() != EINVAL && r.errno() != ENOENT) { // not a mount point (any more): done
                r.orThrow("umount " + point);
            }
        }
    }

    private static void run(List<String> command) throws IOException {
        HostCommand.run(command);
    }
}
