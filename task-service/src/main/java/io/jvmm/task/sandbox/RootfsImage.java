package io.jvmm.task.sandbox;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;

/**
 * A container's root file system copied into an ext4 image ({@code mkfs.ext4 -d}), for a VM that gets
 * it as a disk instead of over virtiofs. The image is sparse: twice what the tree holds plus headroom
 * for the container's writes, which stay in the image (the snapshotter's directory does not see them).
 */
final class RootfsImage {
    private static final long MIB = 1 << 20;
    private static final long HEADROOM = 256 * MIB;
    /** ext4's cost per file, roughly: an inode and the last partial block. */
    private static final long PER_FILE = 4096;

    private static final Duration MKFS_TIMEOUT = Duration.ofSeconds(120);
    private static final List<Path> MKFS = List.of(Path.of("/usr/sbin/mkfs.ext4"), Path.of("/sbin/mkfs.ext4"));

    private RootfsImage() {}

    /** Writes {@code image} (replacing it) with the contents of {@code root}, owner and modes kept. */
    static void build(Path root, Path image) throws IOException {
        build(root, image, sizeBytes(root));
    }

    /** The same, with the image's size already measured ({@link #sizeBytes} of the same root). */
    static void build(Path root, Path image, long sizeBytes) throws IOException {
        long sizeMib = sizeBytes / MIB;
        Files.createDirectories(image.getParent());
        Files.deleteIfExists(image);
        Admission.requireSpace(image.getParent(), sizeMib * MIB, "the container's root disk image");
        HostCommand.run(
                List.of(
                        mkfs().toString(),
                        "-q",
                        "-F",
                        "-t",
                        "ext4",
                        "-E",
                        "root_owner=0:0",
                        "-L",
                        "rootfs",
                        "-d",
                        root.toString(),
                        image.toString(),
                        sizeMib + "M"),
                null,
                MKFS_TIMEOUT);
    }

    private static Path mkfs() throws IOException {
        for (Path p : MKFS) {
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        throw new IOException("mkfs.ext4 not found (package e2fsprogs): needed to give a container its root as a disk");
    }

    /** The size of an image of {@code root}: twice what it holds plus the headroom, in whole MiB. */
    static long sizeBytes(Path root) throws IOException {
        return (2 * usedBytes(root) + HEADROOM + MIB - 1) / MIB * MIB;
    }

    /** Bytes the tree's files take, without following links or leaving its file system. */
    static long usedBytes(Path root) throws IOException {
        long[] total = {0};
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                total[0] += (attrs.isRegularFile() ? attrs.size() : 0) + PER_FILE;
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                total[0] += PER_FILE;
                return FileVisitResult.CONTINUE;
            }
        });
        return total[0];
    }
}
