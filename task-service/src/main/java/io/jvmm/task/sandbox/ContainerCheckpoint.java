package io.jvmm.task.sandbox;

import io.jvmm.api.Sha256;
import io.jvmm.api.json.Json;
import io.jvmm.api.json.JsonRecords;
import io.jvmm.vmm.GuestSnapshot;
import io.jvmm.vmm.VmConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * A container's checkpoint, in the directory containerd gives to Checkpoint (and, unpacked from the
 * checkpoint image, to Create): its whole VM saved with memory ({@code vm.state}), its root disk
 * ({@code rootfs.img.gz}, compressed: most of the sparse image is zeros, and containerd stores the
 * directory as a tar) and {@code jvmm-checkpoint.json}, what the task and VM were, with the SHA-256 of
 * both files, sealed by {@code jvmm-checkpoint.seal} ({@link CheckpointSeal}).
 *
 * <p>A checkpoint comes back through containerd's image store and may have been changed on the way: it
 * is untrusted input until {@link #verifiedManifest} has checked the seal and every file's hash, and the
 * root disk is decompressed to no more than the size the manifest names.
 */
public record ContainerCheckpoint(Path dir) {
    /** Raised whenever the files or the meaning of a manifest field change (2: hashes and the seal). */
    public static final int FORMAT = 2;
    /** A manifest is a few hundred bytes: one larger than this is not read. */
    private static final int MAX_MANIFEST_BYTES = 64 * 1024;

    /**
     * What was checkpointed: the container (by its id in the guest), its init, and the VM it ran in;
     * {@code cpuModel} null for the accelerator's default (and in checkpoints made before it was recorded).
     */
    public record Manifest(
            int format,
            String containerId,
            int initPid,
            int vcpus,
            int memoryMib,
            String accel,
            List<String> image,
            String kernelArgs,
            String rootDiskSerial,
            String cpuModel,
            String stateSha256,
            String rootDiskSha256,
            long rootDiskBytes) {
        /** What a checkpoint of {@code containerId} in a VM of {@code config} records; {@code hashes}: state, disk. */
        static Manifest of(
                String containerId,
                int initPid,
                VmConfig config,
                String rootDiskSerial,
                List<String> hashes,
                long rootDiskBytes)
                throws IOException {
            return new Manifest(
                    FORMAT,
                    containerId,
                    initPid,
                    config.vcpus(),
                    config.memoryMib(),
                    config.accel().name(),
                    GuestSnapshot.imageOf(config),
                    config.extraKernelArgs(),
                    rootDiskSerial,
                    config.cpuModel().orElse(null),
                    hashes.get(0),
                    hashes.get(1),
                    rootDiskBytes);
        }
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

    public Path sealFile() {
        return dir.resolve("jvmm-checkpoint.seal");
    }

    /** The SHA-256 of the saved VM state and of the compressed root disk, for the manifest. */
    /** Removes what a checkpoint that failed half-way wrote here (containerd may have named a directory of its own). */
    public void removeFiles() throws IOException {
        for (Path f : List.of(state(), rootDisk(), manifestFile(), sealFile())) {
            Files.deleteIfExists(f);
        }
    }

    public List<String> fileHashes() throws IOException {
        return List.of(Sha256.ofFiles(List.of(state())), Sha256.ofFiles(List.of(rootDisk())));
    }

    /** Writes the manifest and its seal. */
    public void writeManifest(Manifest manifest, CheckpointSeal seal) throws IOException {
        byte[] bytes = Json.writeBytes(manifest, true);
        Files.write(manifestFile(), bytes);
        Files.writeString(sealFile(), seal.sign(bytes) + "\n");
    }

    /**
     * The manifest, once its seal is this host's and each file matches its hash; otherwise an
     * IOException that says what is wrong (and nothing of the checkpoint was used).
     */
    public Manifest verifiedManifest(CheckpointSeal seal) throws IOException {
        for (Path f : List.of(manifestFile(), sealFile())) {
            if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException(
                        "no " + f.getFileName() + " in " + dir + ": not a jvmm checkpoint of this format");
            }
        }
        if (Files.size(manifestFile()) > MAX_MANIFEST_BYTES || Files.size(sealFile()) > 1024) {
            throw new IOException("its manifest or seal is larger than any jvmm writes");
        }
        byte[] bytes = Files.readAllBytes(manifestFile());
        if (!seal.verify(bytes, Files.readString(sealFile()))) {
            throw new IOException("its manifest is not sealed by this host's runtime (changed, or made with another"
                    + " checkpoint key)");
        }
        Manifest m = JsonRecords.read(Json.parse(bytes), Manifest.class);
        List<String> actual = fileHashes();
        if (!actual.get(0).equals(m.stateSha256())) {
            throw new IOException(state().getFileName() + " does not match its hash in the manifest");
        }
        if (!actual.get(1).equals(m.rootDiskSha256())) {
            throw new IOException(rootDisk().getFileName() + " does not match its hash in the manifest");
        }
        return m;
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

    /**
     * Writes the root disk image back to {@code image}, leaving holes where it has zeros; more than
     * {@code maxBytes} (the manifest's size) is refused and the image removed.
     */
    public void restoreRootDisk(Path image, long maxBytes) throws IOException {
        try {
            decompress(image, maxBytes);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(image);
            throw e;
        }
    }

    private void decompress(Path image, long maxBytes) throws IOException {
        Files.createDirectories(image.getParent());
        try (InputStream in = new GZIPInputStream(Files.newInputStream(rootDisk()), 1 << 16);
                var out = FileChannel.open(
                        image,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING,
                        StandardOpenOption.WRITE)) {
            byte[] block = new byte[1 << 16];
            long at = 0;
            for (int n = in.readNBytes(block, 0, block.length); n > 0; n = in.readNBytes(block, 0, block.length)) {
                if (at + n > maxBytes) {
                    throw new IOException(rootDisk().getFileName() + " holds more than the " + maxBytes
                            + " bytes its manifest names");
                }
                if (!allZero(block, n)) {
                    out.write(ByteBuffer.wrap(block, 0, n), at);
                }
                at += n;
            }
            out.truncate(at);
            if (out.size() < at) {
                out.write(ByteBuffer.allocate(1), at - 1); // a trailing hole still has the full length
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
