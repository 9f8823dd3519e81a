package io.jvmm.vmm;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * Deletes a directory tree the way teardown must (docs/security.md): never while anything is mounted
 * below it (that would delete an image's or a volume's files), never following a symlink (the link goes,
 * not what it names), and never crossing into another file system should a mount appear after all. The
 * one tree delete of the host side: sandboxes' state, templates and snapshots, the shim's training runs.
 */
public final class SafeTree {
    private SafeTree() {}

    /** Deletes {@code dir} and everything below it; a missing one is fine. */
    public static void delete(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        List<Path> mounts = MountTable.under(dir);
        if (!mounts.isEmpty()) {
            throw new IOException("not removing " + dir + ": mounts remain below it " + mounts);
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.delete(dir);
            return;
        }
        Object device = Files.getAttribute(dir, "unix:dev", LinkOption.NOFOLLOW_LINKS);
        // walkFileTree without FOLLOW_LINKS reports a symlink as a file: it is deleted as one.
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                if (!device.equals(Files.getAttribute(d, "unix:dev", LinkOption.NOFOLLOW_LINKS))) {
                    throw new IOException("not removing " + d + ": another file system is mounted there");
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.deleteIfExists(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
