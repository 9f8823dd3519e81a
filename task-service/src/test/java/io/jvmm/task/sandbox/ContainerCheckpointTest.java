package io.jvmm.task.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint is untrusted input until verified: real files on disk, changed the ways a checkpoint image
 * can be changed on its way through containerd (a flipped byte, an edited manifest, a foreign seal, a
 * root disk that unpacks to more than its manifest says).
 */
class ContainerCheckpointTest {
    @TempDir
    Path dir;

    private CheckpointSeal seal;
    private ContainerCheckpoint checkpoint;
    private Path disk;

    @BeforeEach
    void saved() throws IOException {
        Path root = Files.createDirectories(dir.resolve("state-root"));
        seal = CheckpointSeal.of(root);
        checkpoint = new ContainerCheckpoint(Files.createDirectories(dir.resolve("ck")));
        Files.write(checkpoint.state(), "QEVM device state and memory".getBytes(StandardCharsets.UTF_8));
        disk = dir.resolve("disk.img");
        byte[] image = new byte[3 << 20];
        image[1 << 20] = 42;
        Files.write(disk, image);
        checkpoint.saveRootDisk(disk);
        writeManifest(image.length, seal);
    }

    private void writeManifest(long diskBytes, CheckpointSeal by) throws IOException {
        List<String> hashes = checkpoint.fileHashes();
        checkpoint.writeManifest(
                new ContainerCheckpoint.Manifest(
                        ContainerCheckpoint.FORMAT,
                        "c1",
                        7,
                        2,
                        1024,
                        "TCG",
                        List.of("kernel:1"),
                        "",
                        "jvmm-rootfs",
                        null,
                        hashes.get(0),
                        hashes.get(1),
                        diskBytes),
                by);
    }

    @Test
    void anUntouchedCheckpointVerifiesAndItsDiskComesBackWhole() throws IOException {
        ContainerCheckpoint.Manifest m = checkpoint.verifiedManifest(seal);
        assertThat(m.containerId()).isEqualTo("c1");
        Path restored = dir.resolve("restored.img");
        checkpoint.restoreRootDisk(restored, m.rootDiskBytes());
        assertThat(Files.readAllBytes(restored)).isEqualTo(Files.readAllBytes(disk));
        assertThat(PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(dir.resolve("state-root/checkpoint.key"))))
                .isEqualTo("rw-------");
        assertThat(CheckpointSeal.of(dir.resolve("state-root")).verify("x".getBytes(), seal.sign("x".getBytes())))
                .as("the key is made once and read back after")
                .isTrue();
    }

    @Test
    void aChangedVmStateIsRefused() throws IOException {
        byte[] state = Files.readAllBytes(checkpoint.state());
        state[3] ^= 1;
        Files.write(checkpoint.state(), state);
        assertThatThrownBy(() -> checkpoint.verifiedManifest(seal))
                .isInstanceOf(IOException.class)
                .hasMessage("vm.state does not match its hash in the manifest");
    }

    @Test
    void aTruncatedRootDiskIsRefused() throws IOException {
        byte[] gz = Files.readAllBytes(checkpoint.rootDisk());
        Files.write(checkpoint.rootDisk(), Arrays.copyOf(gz, gz.length / 2));
        assertThatThrownBy(() -> checkpoint.verifiedManifest(seal))
                .isInstanceOf(IOException.class)
                .hasMessage("rootfs.img.gz does not match its hash in the manifest");
    }

    @Test
    void anEditedManifestIsRefusedEvenWithHashesThatMatch() throws IOException {
        String edited = Files.readString(checkpoint.manifestFile()).replace("\"vcpus\" : 2", "\"vcpus\" : 64");
        assertThat(edited).contains("64");
        Files.writeString(checkpoint.manifestFile(), edited);
        assertThatThrownBy(() -> checkpoint.verifiedManifest(seal))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("not sealed by this host's runtime");
    }

    @Test
    void aCheckpointSealedWithAnotherKeyOrWithoutASealIsRefused() throws IOException {
        writeManifest(3 << 20, CheckpointSeal.of(Files.createDirectories(dir.resolve("other-host"))));
        assertThatThrownBy(() -> checkpoint.verifiedManifest(seal))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("not sealed by this host's runtime");
        Files.delete(checkpoint.sealFile());
        assertThatThrownBy(() -> checkpoint.verifiedManifest(seal))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("no jvmm-checkpoint.seal");
    }

    @Test
    void aManifestTooLargeToBeOneIsNotRead() throws IOException {
        Files.write(checkpoint.manifestFile(), new byte[1 << 20]);
        assertThatThrownBy(() -> checkpoint.verifiedManifest(seal))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("larger than any jvmm writes");
    }

    /** A disk that unpacks to more than its (sealed) manifest says stops there and leaves no image behind. */
    @Test
    void aRootDiskThatUnpacksPastItsSizeIsRefusedAndLeavesNothing() throws IOException {
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(checkpoint.rootDisk()))) {
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 256; i++) { // 256 MiB of zeros in a few hundred KiB
                out.write(zeros);
            }
        }
        writeManifest(3 << 20, seal);
        ContainerCheckpoint.Manifest m = checkpoint.verifiedManifest(seal);
        Path restored = dir.resolve("restored.img");
        assertThatThrownBy(() -> checkpoint.restoreRootDisk(restored, m.rootDiskBytes()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("more than the 3145728 bytes");
        assertThat(restored).doesNotExist();
    }
}
