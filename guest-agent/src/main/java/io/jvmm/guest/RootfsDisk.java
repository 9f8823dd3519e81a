package io.jvmm.guest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A container root file system that arrives as a virtio-blk disk (ext4) instead of over the virtiofs
 * share: how a guest restored from a template gets its container without vhost-user (whose shared
 * memory would undo the copy-on-write clone). The host plugs the disk just before CreateContainer and
 * names it by its serial, which the kernel shows in {@code /sys/block/<vdX>/serial}.
 */
final class RootfsDisk {
    private static final Path SYS_BLOCK = Path.of("/sys/block");
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
                Path file = disk.resolve("serial");
                if (Files.isReadable(file) && Files.readString(file).strip().equals(serial)) {
                    return Optional.of(disk.getFileName().toString());
                }
            }
        }
        return Optional.empty();
    }
}
