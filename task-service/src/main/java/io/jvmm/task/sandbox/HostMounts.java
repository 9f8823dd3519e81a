package io.jvmm.task.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Mounts on the host, through mount(8) and umount(8) so every option containerd's snapshotters use works.
 * Paths are passed as they are ({@code --no-canonicalize}): the callers name paths in directories only
 * the shim writes, or descriptors ({@link BeneathPath}), and resolving them again would follow symlinks.
 */
final class HostMounts {

    private HostMounts() {
    }

    /** One containerd mount ({@code type}, {@code source}, mount(8) options) at {@code target}. */
    static void mount(String type, String source, Path target, List<String> options) throws IOException {
        List<String> command = new ArrayList<>(List.of("mount", "--no-canonicalize", "-t", type.isEmpty() ? "none" : type));
        if (!options.isEmpty()) {
            command.addAll(List.of("-o", String.join(",", options)));
        }
        command.addAll(List.of(source.isEmpty() ? "none" : source, target.toString()));
        run(command);
    }

    /** A recursive, writable bind mount of {@code source} at {@code target}. */
    static void bind(Path source, Path target) throws IOException {
        run(List.of("mount", "--no-canonicalize", "--rbind", source.toString(), target.toString()));
    }

    /**
     * A read-only bind mount of {@code source} at {@code target}, read-only in every copy of it: it is made
     * and remounted read-only at {@code staging} (a private mount point, so nothing propagates from there)
     * and only then bound at {@code target}. Remounting read-only at {@code target} itself would leave the
     * copies propagated to virtiofsd writable: mount flags do not propagate (Kata CVE-2020-28914).
     */
    static void bindReadOnly(Path source, Path target, Path staging) throws IOException {
        run(List.of("mount", "--no-canonicalize", "--rbind", source.toString(), staging.toString()));
        try {
            run(List.of("mount", "--no-canonicalize", "-o", "remount,bind,ro", staging.toString()));
            run(List.of("mount", "--no-canonicalize", "--rbind", staging.toString(), target.toString()));
        } finally {
            unmount(staging);
        }
    }

    /** Makes {@code dir} a mount point of its own with shared propagation: mounts below it reach its slaves. */
    static void makeSharedMountPoint(Path dir) throws IOException {
        run(List.of("mount", "--no-canonicalize", "--bind", dir.toString(), dir.toString()));
        run(List.of("mount", "--no-canonicalize", "--make-shared", dir.toString()));
    }

    /** Makes {@code dir} a mount point of its own that propagates nothing anywhere. */
    static void makePrivateMountPoint(Path dir) throws IOException {
        run(List.of("mount", "--no-canonicalize", "--bind", dir.toString(), dir.toString()));
        run(List.of("mount", "--no-canonicalize", "--make-private", dir.toString()));
    }

    /**
     * Makes {@code view} a read-only view of {@code tree}: a slave of it (mounts made below {@code tree}
     * appear below {@code view}, each with its own flags), and a slave's copies (virtiofsd's) are slaves too.
     */
    static void bindReadOnlyView(Path tree, Path view) throws IOException {
        run(List.of("mount", "--no-canonicalize", "--bind", tree.toString(), view.toString()));
        run(List.of("mount", "--no-canonicalize", "--make-slave", view.toString()));
        run(List.of("mount", "--no-canonicalize", "-o", "remount,bind,ro", view.toString()));
    }

    /** Every mount point at or below {@code dir}, deepest first, as the kernel names them. */
    static List<Path> mountsUnder(Path dir) throws IOException {
        String prefix = dir.toString();
        List<Path> result = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
            String point = unescape(line.split(" ")[4]);
            if (point.equals(prefix) || point.startsWith(prefix + "/")) {
                result.add(Path.of(point));
            }
        }
        result.sort(Comparator.comparingInt((Path p) -> p.getNameCount()).reversed());
        return result;
    }

    /**
     * Detaches the mount at {@code point} with everything mounted below it (lazily: busy mounts go when
     * their last user does); quiet when there is none. The last part is not followed if it is a symlink.
     */
    static void unmount(Path point) throws IOException {
        run(List.of("umount", "--no-canonicalize", "--lazy", point.toString()), true);
    }

    private static String unescape(String field) {
        return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }

    private static void run(List<String> command) throws IOException {
        HostCommand.run(command);
    }

    private static void run(List<String> command, boolean ignoreNotMounted) throws IOException {
        HostCommand.run(command, ignoreNotMounted ? "not mounted" : null);
    }
}
