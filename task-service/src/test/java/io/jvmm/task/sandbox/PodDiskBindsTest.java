package io.jvmm.task.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jvmm.task.TaskException;
import io.jvmm.task.guest.RootDisk;
import io.jvmm.ttrpc.Code;
import io.jvmm.vmm.MountTable;
import io.jvmm.vmm.SafeTree;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Where a pod container's host binds go when its pod has no share (real mounts in the share's tree, as
 * root like the shim): copied into the tree the container's disk is made of, made guest volumes, or refused.
 */
class PodDiskBindsTest {
    private static final String MOUNT = "/run/jvmm/disks/jd-0123456789abcdef";
    private Path dir;
    private Path state;
    private ShareTree tree;

    @BeforeEach
    void create() throws IOException {
        dir = Files.createTempDirectory("jvmm-podbinds").toRealPath();
        state = Files.createDirectories(dir.resolve("state"));
        tree = ShareTree.create(state);
        Path image = Files.createDirectories(dir.resolve("image"));
        Files.writeString(image.resolve("etc-file"), "in the image\n");
        Path bundle = Files.createDirectories(dir.resolve("bundle"));
        Files.createSymbolicLink(bundle.resolve("rootfs"), image);
        tree.mountRootfs("c1", List.of(), bundle);
    }

    @AfterEach
    void remove() throws IOException {
        ShareTree.unmountAll(state);
        for (Path p : MountTable.under(dir)) {
            HostMounts.unmount(p);
        }
        SafeTree.delete(dir);
    }

    @Test
    void filesAndReadOnlyDirectoriesAreCopiedOntoTheDiskAndNamedWhereTheGuestMountsIt() throws IOException {
        Path hosts = Files.writeString(dir.resolve("hosts"), "127.0.0.1 localhost\n");
        Path secret = Files.createDirectories(dir.resolve("secret"));
        Files.writeString(secret.resolve("token"), "s3cret");
        PodDiskBinds binds = new PodDiskBinds(tree, "c1", MOUNT);

        assertThat(binds.share(hosts, 0, false)).isEqualTo(MOUNT + "/mounts/0");
        assertThat(binds.share(secret, 3, true)).isEqualTo(MOUNT + "/mounts/3");

        // The disk is made of the container's directory in the tree: its root and these copies.
        Path c1 = tree.containerTree("c1");
        assertThat(c1.resolve("rootfs/etc-file")).hasContent("in the image\n");
        assertThat(c1.resolve("mounts/0")).hasContent("127.0.0.1 localhost\n");
        assertThat(c1.resolve("mounts/3/token")).hasContent("s3cret");
        assertThat(binds.volumes()).isEmpty();
    }

    @Test
    void anEmptyWritableDirectoryIsAGuestVolumeNamedByItsHostPathWithItsMode() throws IOException {
        Path shm = Files.createDirectories(dir.resolve("shm"));
        Files.setPosixFilePermissions(shm, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path other = Files.createDirectories(dir.resolve("empty-dir"));
        PodDiskBinds binds = new PodDiskBinds(tree, "c1", MOUNT);

        String guest = binds.share(shm, 1, false);
        assertThat(guest).startsWith(PodDiskBinds.GUEST_VOLUMES + "/");
        // The same host path is the same guest volume for every container of the pod; another is another.
        assertThat(new PodDiskBinds(tree, "c2", MOUNT).share(shm, 4, false)).isEqualTo(guest);
        assertThat(binds.share(other, 2, false)).isNotEqualTo(guest);
        assertThat(binds.volumes()).first().isEqualTo(new RootDisk.Volume(guest, 0777));
        // Nothing of it in the tree: it lives in the guest.
        assertThat(tree.containerTree("c1").resolve("mounts/1")).doesNotExist();
    }

    @Test
    void aWritableDirectoryHoldingFilesIsRefusedForOnlyTheShareCarriesWritesBack() throws IOException {
        Path data = Files.createDirectories(dir.resolve("hostpath"));
        Files.writeString(data.resolve("log"), "old\n");
        PodDiskBinds binds = new PodDiskBinds(tree, "c1", MOUNT);

        assertThatThrownBy(() -> binds.share(data, 0, false))
                .isInstanceOfSatisfying(
                        TaskException.class, e -> assertThat(e.statusCode()).isEqualTo(Code.FAILED_PRECONDITION))
                .hasMessageContaining(data.toString())
                .hasMessageContaining("jvmm.io/templates=false");
        assertThat(tree.containerTree("c1").resolve("mounts/0")).doesNotExist();
        // Read-only, the same directory is copied.
        assertThat(binds.share(data, 0, true)).isEqualTo(MOUNT + "/mounts/0");
    }

    @Test
    void bindsLargerThanTheCopyLimitAreRefused() throws IOException {
        Path big = dir.resolve("big");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(PodDiskBinds.MAX_COPIED_BYTES + 1); // sparse: its size is what counts
        }
        PodDiskBinds binds = new PodDiskBinds(tree, "c1", MOUNT);

        assertThatThrownBy(() -> binds.share(big, 0, true))
                .isInstanceOfSatisfying(
                        TaskException.class, e -> assertThat(e.statusCode()).isEqualTo(Code.FAILED_PRECONDITION))
                .hasMessageContaining("256 MiB");
    }

    @Test
    void aMissingSourceIsAnError() {
        PodDiskBinds binds = new PodDiskBinds(tree, "c1", MOUNT);
        assertThatThrownBy(() -> binds.share(dir.resolve("nothing"), 0, true))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("does not exist");
    }
}
