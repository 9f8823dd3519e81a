package io.jvmm.task.sandbox;

import io.jvmm.task.TaskException;
import io.jvmm.vmm.qemu.QemuVm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Saves a lone container's VM, memory and all, and its root disk into a checkpoint, sealed with the state
 * root's key; nothing half-written stays when it fails.
 */
final class CheckpointSave {
    private static final Logger LOG = LogManager.getLogger(CheckpointSave.class);

    private CheckpointSave() {}

    /** {@code qemu} is left paused; {@code rootDisk} is the container's root image. */
    static void save(
            QemuVm qemu,
            Path rootDisk,
            String containerId,
            int initPid,
            ContainerCheckpoint checkpoint,
            SandboxSettings settings)
            throws IOException {
        long begin = System.nanoTime();
        Files.createDirectories(checkpoint.dir());
        try {
            qemu.saveCheckpoint(checkpoint.state(), settings.bootTimeout());
            checkpoint.saveRootDisk(rootDisk);
            checkpoint.writeManifest(
                    ContainerCheckpoint.Manifest.of(
                            containerId,
                            initPid,
                            qemu.config(),
                            ContainerRoots.ROOT_DISK_SERIAL,
                            checkpoint.fileHashes(),
                            Files.size(rootDisk)),
                    CheckpointSeal.of(settings.stateRoot()));
        } catch (IOException | RuntimeException e) {
            // No half-written checkpoint stays; a full file system is named as the cause (the VM state holds
            // every page of guest memory at most, the disk its image's size at most).
            checkpoint.removeFiles();
            long most = ((long) qemu.config().memoryMib() << 20) + (Files.exists(rootDisk) ? Files.size(rootDisk) : 0);
            Optional<TaskException> shortage = Admission.shortage(checkpoint.dir(), most, "the checkpoint", e);
            if (shortage.isPresent()) {
                throw shortage.get();
            }
            throw e;
        }
        LOG.info(
                "checkpointed {} into {} in {} ms ({} MiB of VM state)",
                containerId,
                checkpoint.dir(),
                (System.nanoTime() - begin) / 1_000_000,
                Files.size(checkpoint.state()) >> 20);
    }
}
