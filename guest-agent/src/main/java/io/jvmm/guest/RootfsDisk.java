package io.jvmm.guest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A container root file system that arrives as a disk (ext4) instead of over the virtiofs share: how a
 * guest restored from a template gets its container without vhost-user (whose shared memory would undo
 * the copy-on-write clone). The host plugs the disk just before CreateContainer and names it by its
 * serial, which the kernel shows in {@code /sys/block/<vdX>/serial} for a virtio-blk disk (a lone
 * container's) and in the unit serial page {@code /sys/block/<sdX>/device/vpd_pg80} for a SCSI one (a
 * pod's containers, many on one virtio-scsi controller).
 */
final class RootfsDisk {
    private static final Path SYS_BLOCK = Path.of("/sys/block");
    /** Where a pod container's disk is mounted (the host names the directory below it). */
    static final Path DISKS = Path.of("/run/jvmm/disks");
    /** Where a pod's volumes that live in the guest are (the host names each directory below it). */
    static final Path VOLUMES = Path.of("/run/jvmm/volumes");

    private static final String NAME = "[A-Za-z0-9_-]{1,64}";
    /** A hot-plugged disk shows up within a second on an idle guest; an emulated one sharing its cores with many may need far longer. */
    private static final long DEVICE_WAIT_MS = 120_000;

    private RootfsDisk() {}

    /** Mounts the disk with {@code serial} at {@code at}, waiting for its hot-plug to be seen. */
    static void mount(String serial, Path at) throws IOException {
        if (!serial.matches("[A-Za-z0-9_-]{1,20}")) {
            throw Refusal.invalidArgument("disk serial \"" + serial + "\" is not 1-20 letters, digits, '_' or '-'");
        }
        String device = await(serial);
        Files.createDirectories(at);
        RestoredGuest.run(List.of("mount", "-t", "ext4", "/dev/" + device, at.toString()));
    }

    /**
     * The mount point the host asked for ({@code /run/jvmm/disks/<name>}), or {@code fallback} when it asked
     * for none. Anything else is refused: the host names a place, it does not choose where the agent writes.
     */
    static Path mountPoint(String requested, Path fallback) {
        if (requested.isEmpty()) {
            return fallback;
        }
        return below(DISKS, requested, "rootfs_disk_mount");
    }

    /** Makes a guest volume directory ({@code /run/jvmm/volumes/<name>}) unless it is there, with {@code mode}. */
    static void makeVolume(String path, int mode) throws IOException {
        if (mode < 0 || mode > 07777) {
            throw Refusal.invalidArgument(
                    "volume " + path + ": mode " + Integer.toOctalString(mode) + " is not 0-07777");
        }
        Path dir = below(VOLUMES, path, "volume_dirs");
        if (Files.isDirectory(dir)) {
            return;
        }
        Files.createDirectories(dir);
        // chmod(1): Files.setPosixFilePermissions has no set-id and sticky bits (a pod's /dev/shm is 1777).
        RestoredGuest.run(List.of("chmod", Integer.toOctalString(mode), dir.toString()));
    }

    private static Path below(Path parent, String requested, String field) {
        Path p = Path.of(requested);
        if (!p.isAbsolute()
                || !parent.equals(p.getParent())
                || !p.getFileName().toString().matches(NAME)) {
            throw Refusal.invalidArgument(field + " \"" + requested + "\" is not " + parent + "/<name>");
        }
        return p;
    }

    /** Unmounts {@code at} if something is mounted there (delete, or a failed create). */
    static void unmountIfMounted(Path at) throws IOException {
        if (Files.readString(Path.of("/proc/self/mounts")).contains(" " + at + " ")) {
            RestoredGuest.run(List.of("umount", at.toString()));
        }
    }

    private static String await(String serial) throws IOException {
        long deadline = System.currentTimeMillis() + DEVICE_WAIT_MS;
        while (true) {
            Optional<String> found = find(serial);
            if (found.isPresent()) {
                return found.get();
            }
            if (System.currentTimeMillis() > deadline) {
                throw new IOException("no disk with serial " + serial + " appeared within " + DEVICE_WAIT_MS + " ms");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    private static Optional<String> find(String serial) throws IOException {
        try (Stream<Path> disks = Files.list(SYS_BLOCK)) {
            for (Path disk : disks.toList()) {
                if (serial.equals(serialOf(disk).orElse(null))) {
                    return Optional.of(disk.getFileName().toString());
                }
            }
        }
        return Optional.empty();
    }

    /** A virtio-blk disk's serial, or a SCSI disk's unit serial number (VPD page 0x80: 4 bytes of header). */
    static Optional<String> serialOf(Path disk) throws IOException {
        Path virtio = disk.resolve("serial");
        if (Files.isReadable(virtio)) {
            return Optional.of(Files.readString(virtio).strip());
        }
        Path vpd = disk.resolve("device").resolve("vpd_pg80");
        if (Files.isReadable(vpd)) {
            return unitSerial(Files.readAllBytes(vpd));
        }
        return Optional.empty();
    }

    static Optional<String> unitSerial(byte[] page) {
        if (page.length < 4 || (page[1] & 0xff) != 0x80) {
            return Optional.empty();
        }
        int length = Math.min(((page[2] & 0xff) << 8) | (page[3] & 0xff), page.length - 4);
        return Optional.of(new String(page, 4, length, StandardCharsets.US_ASCII).strip());
    }
}
