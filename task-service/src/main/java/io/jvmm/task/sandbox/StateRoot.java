package io.jvmm.task.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The state root and the directories below it: named as the kernel names them, and private to root.
 * Pod volumes (secrets, service-account tokens) pass through a sandbox's share on their way into the VM,
 * and consoles and monitor logs hold what the guest printed: no other host user may list or read them,
 * as containerd keeps its runc bundles (0700). The directories above a sandbox's are passable, so the
 * VMM's unprivileged user can reach the one directory its group is let into.
 */
public final class StateRoot {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> PASSABLE = PosixFilePermissions.fromString("rwx--x--x");

    private StateRoot() {}

    /**
     * {@code root} with every symlink in it resolved (as far as it exists; the rest appended): teardown
     * finds mounts by their place in the mount table, where {@code /var/run/jvmm} is {@code /run/jvmm}.
     */
    public static Path canonical(Path root) {
        Path absolute = root.toAbsolutePath().normalize();
        Path existing = absolute;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return absolute;
        }
        try {
            return existing.toRealPath().resolve(existing.relativize(absolute));
        } catch (IOException e) {
            return absolute;
        }
    }

    /**
     * Creates a sandbox's directory {@code dir} below {@code root}, owner-only, and the directories between
     * them (the root, {@code s/}) passable but not listable by others ({@code rwx--x--x}: the VMM's user
     * reaches its VM's directory through them, where the VMM's group is let in), existing ones made so too.
     */
    static void createPrivate(Path root, Path dir) throws IOException {
        create(root, dir, OWNER_ONLY);
    }

    /** Creates {@code dir} below {@code root} with it and the directories between them passable, not listable, by others. */
    static void createTraversable(Path root, Path dir) throws IOException {
        create(root, dir, PASSABLE);
    }

    private static void create(Path root, Path dir, Set<PosixFilePermission> leaf) throws IOException {
        Path top = canonical(root);
        Path target = canonical(dir);
        if (!target.startsWith(top)) {
            throw new IOException(dir + " is not below the state root " + top);
        }
        Files.createDirectories(target);
        for (Path d = target; d != null && d.startsWith(top); d = d.getParent()) {
            if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException(d + " is not a directory");
            }
            Files.setPosixFilePermissions(d, d.equals(target) ? leaf : PASSABLE);
        }
    }
}
