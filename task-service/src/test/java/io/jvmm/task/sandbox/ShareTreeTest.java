package io.jvmm.task.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jvmm.vmm.MountTable;
import io.jvmm.vmm.SafeTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The share's host side with real mounts (the tests run as root, as the shim does): what the guest can
 * write through the exported view, and what the shim's mounts and deletes do when the guest (or an
 * image) put symlinks where they go.
 */
class ShareTreeTest {
    private Path dir;
    private Path state;
    private Path outside;
    private ShareTree tree;

    @BeforeEach
    void create() throws IOException {
        dir = Files.createTempDirectory("jvmm-sharetree").toRealPath();
        state = Files.createDirectories(dir.resolve("state"));
        outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("marker"), "host data\n");
        tree = ShareTree.create(state);
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
    void theExportedViewIsReadOnlyAroundTheMountsAndShowsThem() throws IOException {
        Path source = Files.createDirectories(dir.resolve("image"));
        Files.writeString(source.resolve("file"), "in the image\n");
        tree.mountRootfs("c1", List.of(), bundleOf(source));
        Path view = tree.exported();

        assertThat(view.resolve("c1/rootfs/file")).hasContent("in the image\n");
        assertThatThrownBy(() -> Files.createSymbolicLink(view.resolve("c2"), outside))
                .as("a new entry in the view")
                .isInstanceOf(IOException.class)
                .hasMessageContaining("Read-only");
        assertThatThrownBy(() -> Files.createDirectories(view.resolve("c1/mounts")))
                .isInstanceOf(IOException.class);
        Files.writeString(view.resolve("c1/rootfs/written"), "by the guest\n");
        assertThat(source.resolve("written"))
                .as("a container's root stays writable")
                .hasContent("by the guest\n");
    }

    @Test
    void aReadOnlyVolumeIsReadOnlyInTheViewTooAndAWritableOneIsNot() throws IOException {
        Path ro = Files.createDirectories(dir.resolve("ro"));
        Path rw = Files.createDirectories(dir.resolve("rw"));
        assertThat(tree.shareVolume("c1", ro, 3, true)).isEqualTo("c1/mounts/3");
        tree.shareVolume("c1", rw, 4, false);

        assertThatThrownBy(() -> Files.writeString(tree.exported().resolve("c1/mounts/3/x"), "x"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("Read-only");
        assertThatThrownBy(() -> Files.writeString(state.resolve("m/c1/mounts/3/x"), "x"))
                .isInstanceOf(IOException.class);
        Files.writeString(tree.exported().resolve("c1/mounts/4/y"), "y");
        assertThat(ro.resolve("x")).doesNotExist();
        assertThat(rw.resolve("y")).hasContent("y");
        assertThat(MountTable.under(state.resolve("ro")))
                .as("the staging point is left empty")
                .hasSize(1);
    }

    @Test
    void aFileVolumeIsBoundOntoAFile() throws IOException {
        Path file = Files.writeString(dir.resolve("token"), "secret\n");
        tree.shareVolume("c1", file, 0, true);
        assertThat(tree.exported().resolve("c1/mounts/0")).hasContent("secret\n");
    }

    @Test
    void aMountInsideTheRootIsRefusedThroughASymlinkTheImagePlanted() throws IOException {
        Path image = Files.createDirectories(dir.resolve("image"));
        Files.createSymbolicLink(image.resolve("data"), outside);
        Files.createDirectories(image.resolve("real"));

        tree.mountRootfs("c1", List.of(new RootfsMount("", image.toString(), "", List.of("rbind"))), dir);
        assertThatThrownBy(() -> tree.mountRootfs(
                        "c2",
                        List.of(
                                new RootfsMount("", image.toString(), "", List.of("rbind")),
                                new RootfsMount("tmpfs", "tmpfs", "data", List.of())),
                        dir))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("openat2");
        assertThatThrownBy(() -> tree.mountRootfs(
                        "c3",
                        List.of(
                                new RootfsMount("", image.toString(), "", List.of("rbind")),
                                new RootfsMount("tmpfs", "tmpfs", "../../../outside", List.of())),
                        dir))
                .isInstanceOf(IOException.class);
        assertThat(MountTable.under(outside)).isEmpty();
        assertThat(state.resolve("m/c2")).as("a refused root is undone").doesNotExist();

        tree.mountRootfs(
                "c4",
                List.of(
                        new RootfsMount("", image.toString(), "", List.of("rbind")),
                        new RootfsMount("tmpfs", "tmpfs", "/real", List.of())),
                dir);
        assertThat(MountTable.under(state.resolve("m/c4/rootfs/real"))).hasSize(1);
    }

    @Test
    void removingAContainerUnmountsItsRootAndVolumesAndLeavesTheirFiles() throws IOException {
        Path image = Files.createDirectories(dir.resolve("image"));
        Files.writeString(image.resolve("file"), "kept\n");
        Path volume = Files.createDirectories(dir.resolve("volume"));
        Files.writeString(volume.resolve("v"), "kept too\n");
        tree.mountRootfs("c1", List.of(), bundleOf(image));
        tree.shareVolume("c1", volume, 0, false);
        Files.createSymbolicLink(state.resolve("m/c1/rootfs/link"), outside);

        tree.removeContainer("c1");

        assertThat(state.resolve("m/c1")).doesNotExist();
        assertThat(MountTable.under(state.resolve("m"))).containsExactly(state.resolve("m"));
        assertThat(MountTable.under(state.resolve("share"))).containsExactly(state.resolve("share"));
        assertThat(image.resolve("file")).hasContent("kept\n");
        assertThat(volume.resolve("v")).hasContent("kept too\n");
        assertThat(outside.resolve("marker")).hasContent("host data\n");
    }

    @Test
    void unmountAllUndoesEverythingTheTreeMadeAndNothingElse() throws IOException {
        Path image = Files.createDirectories(dir.resolve("image"));
        tree.mountRootfs("c1", List.of(), bundleOf(image));
        tree.shareVolume("c1", outside, 1, true);

        ShareTree.unmountAll(state);

        assertThat(MountTable.under(state)).isEmpty();
        SafeTree.delete(state);
        assertThat(outside.resolve("marker")).hasContent("host data\n");
    }

    private Path bundleOf(Path rootfs) throws IOException {
        Path bundle = Files.createDirectories(dir.resolve("bundle-" + rootfs.getFileName()));
        Files.createSymbolicLink(bundle.resolve("rootfs"), rootfs);
        return bundle;
    }
}
