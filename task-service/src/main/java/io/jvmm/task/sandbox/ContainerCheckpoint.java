package io.jvmm.task.sandbox;

import io.jvmm.api.json.Json;
import io.jvmm.api.json.JsonRecords;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * A container's checkpoint, in the directory containerd gives to Checkpoint (and, unpacked from the
 * checkpoint image, to Create): its whole VM saved with memory ({@code vm.state}), its root disk
 * ({@code rootfs.img.gz}, compressed: most of the sparse image is zeros, and containerd stores the
 * directory as a tar) and {@code jvmm-checkpoint.json}, what the task and VM were.
 */
public record ContainerCheckpoint(Path dir) {
    /** Raised whenever the files or the meaning of a manifest field change. */
    public static final int FORMAT = 1;

    /**
     * What was checkpointed: the container (by its id in the guest), its init, and the VM it ran in;
     * {@code cpuModel} null for the accelerator's default (and in checkpoints made before it was recorded).
     */
    public record Manifest(int format, String containerId, int initPid, int vcpus, int memoryMib, String accel,
                           List<String> image, String kernelArgs, String rootDiskSerial, String cpuModel) {
    }

    public Path state() {
        return dir.resolve("vm.state");
    }

    public Path rootDisk() {
        return dir.resolve("rootfs.img.gz");
    }

    public Path manifestFile() {
        return dir.resolve("jvmm-checkpoint.json");
    }

    public void writeManifest(Manifest manifest) throws IOException {
        Files.write(manifestFile(), Json.writeBytes(manifest, true));
    }

    public Manifest manifest() throws IOException {
        if (!Files.isRegularFile(manifestFile())) {
            throw new IOException("no " + manifestFile().getFileName() + " in " + dir + ": not a jvmm checkpoint");
        }
        return JsonRecords.read(Json.parse(manifestFile()), Manifest.class);
    }

    /** Stores the root disk image compressed (fast: mostly runs of zeros). */
    public void saveRootDisk(Path image) throws IOException {
        try (InputStream in = Files.newInputStream(image);
             OutputStream out = new GZIPOutputStream(Files.newOutputStream(rootDisk()), 1 << 16) {
                 {
                     def.setLevel(Deflater.BEST_SPEED);
                 }
             }) {
            in.transferTo(out);
        }
    }

    /** Writes the root disk image back to {@code image}, leaving holes where it has zeros. */
    public void restoreRootDisk(Path image) throws IOException {
        Files.createDirectories(image.getParent());
        try (InputStream in = new GZIPInputStream(Files.newInputStream(rootDisk()), 1 << 16);
             var out = java.nio.channels.FileChannel.open(image, java.nio.file.StandardOpenOption.CREATE,
                     java.nio.file.StandardOpenOption.TRUNCATE_EXISTING, java.nio.file.StandardOpenOption.WRITE)) {
            byte[] block = new byte[1 << 16];
            long at = 0;
            for (int n = in.readNBytes(block, 0, block.length); n > 0; n = in.readNBytes(block, 0, block.length)) {
                if (!allZero(block, n)) {
                    out.write(java.nio.ByteBuffer.wrap(block, 0, n), at);
                }
                at += n;
            }
            out.truncate(at);
            if (out.size() < at) {
                out.write(java.nio.ByteBuffer.allocate(1), at - 1); // a trailing hole still has the full length
            }
        }
    }

    private static boolean allZero(byte[] block, int n) {
        for (int i = 0; i < n; i++) {
            if (block[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
