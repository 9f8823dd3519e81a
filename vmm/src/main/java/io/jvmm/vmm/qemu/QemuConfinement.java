package io.jvmm.vmm.qemu;

import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.VmException;
import io.jvmm.vmm.VmmJail;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How one VM's QEMU and helpers run confined (docs/security.md): as the VMM's unprivileged user, each in a
 * jail that binds only what it opens, with the files it opens after dropping its privileges handed to
 * that user first. Without a configured VMM user, commands run as they are.
 */
final class QemuConfinement {
    private final VmConfig config;

    QemuConfinement(VmConfig config) {
        this.config = config;
    }

    /**
     * QEMU in its jail: the guest image's files, the state directory, and the memory file it maps when
     * that is outside the state directory ({@code outsideMemory}: a template's, or a hugetlbfs file).
     */
    List<String> qemu(List<String> command, List<Path> outsideMemory) {
        List<Path> read = new ArrayList<>(List.of(config.kernel(), config.initrd()));
        config.runtimeDisk().ifPresent(read::add);
        List<Path> write = new ArrayList<>(List.of(config.stateDir()));
        write.addAll(outsideMemory);
        return QemuCommandLine.asUser(config.vmmUser(), jail(read, write), command);
    }

    /**
     * vhost-device-vsock in a jail of its own: its binary (installed outside /usr, from Debian unstable) and
     * its sockets' directory.
     */
    List<String> helper(List<String> command) {
        return QemuCommandLine.asUser(
                config.vmmUser(), jail(List.of(Path.of(command.getFirst())), List.of(config.vmmDir())), command);
    }

    private VmmJail jail(List<Path> read, List<Path> write) {
        Path root = config.stateDir().resolve("jail");
        grant(() -> Files.createDirectories(root));
        return new VmmJail(root, read, write);
    }

    /**
     * A file the VMM opens after it dropped its privileges (a disk, its memory) belongs to its user, and a
     * directory of its own below the state directory lets the VMM's group through.
     */
    void give(Path file) {
        config.vmmUser()
                .ifPresent(u -> grant(() -> {
                    u.own(file);
                    if (!file.getParent().equals(config.vmmDir())) {
                        u.share(file.getParent(), "rwx--x---");
                    }
                }));
    }

    /**
     * A template's memory file on the host's hugetlbfs, made here for QEMU to fill, belongs to the VMM's
     * user (the mount's directory, the host's, is left as it is: the jail binds the file alone).
     */
    void giveHugeMemory(Path file) {
        config.vmmUser()
                .ifPresent(u -> grant(() -> {
                    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                        Files.createFile(file);
                    }
                    u.own(file);
                }));
    }

    @FunctionalInterface
    private interface Grant {
        void run() throws IOException;
    }

    /** A failure fails the boot, naming what could not be handed over. */
    private static void grant(Grant grant) {
        try {
            grant.run();
        } catch (IOException e) {
            throw new VmException.BootFailed("cannot give the VMM's user what it opens: " + e.getMessage(), e);
        }
    }
}
