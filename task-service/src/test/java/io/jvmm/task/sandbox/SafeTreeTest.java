package io.jvmm.task.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SafeTreeTest {
    private Path dir;

    @BeforeEach
    void create() throws IOException {
        dir = Files.createTempDirectory("jvmm-safetree").toRealPath();
    }

    @AfterEach
    void remove() throws IOException {
        for (Path p : HostMounts.mountsUnder(dir)) {
            HostMounts.unmount(p);
        }
        SafeTree.delete(dir);
    }

    @Test
    void symlinksAreDeletedNotFollowed() throws IOException {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("keep"), "host data\n");
        Path tree = Files.createDirectories(dir.resolve("tree/a/b"));
        Files.createSymbolicLink(tree.resolve("dir-link"), outside);
        Files.createSymbolicLink(tree.resolve("file-link"), outside.resolve("keep"));
        Files.createSymbolicLink(dir.resolve("tree/dangling"), dir.resolve("nowhere"));

        SafeTree.delete(dir.resolve("tree"));

        assertThat(dir.resolve("tree")).doesNotExist();
        assertThat(outside.resolve("keep")).hasContent("host data\n");
    }

    @Test
    void aTreeWithAMountBelowIsNotTouched() throws IOException {
        Path mounted = Files.createDirectories(dir.resolve("tree/mnt"));
        Path source = Files.createDirectories(dir.resolve("source"));
        Files.writeString(source.resolve("keep"), "volume data\n");
        HostMounts.bind(source, mounted);

        assertThatThrownBy(() -> SafeTree.delete(dir.resolve("tree"))).isInstanceOf(IOException.class)
                .hasMessageContaining("mounts remain");
        assertThat(source.resolve("keep")).hasContent("volume data\n");
    }

    @Test
    void aLinkAsTheTreeItselfIsRemovedAloneAndAMissingTreeIsFine() throws IOException {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("keep"), "x");
        Path link = Files.createSymbolicLink(dir.resolve("link"), outside);
        SafeTree.delete(link);
        SafeTree.delete(dir.resolve("missing"));
        assertThat(link).doesNotExist();
        assertThat(outside.resolve("keep")).exists();
    }

    @Test
    void stateDirectoriesArePrivateAndTheRootIsNamedAsTheKernelNamesIt() throws IOException {
        Path real = Files.createDirectories(dir.resolve("run"));
        Path alias = Files.createSymbolicLink(dir.resolve("var-run"), real);
        Path root = alias.resolve("jvmm");
        assertThat(StateRoot.canonical(root)).isEqualTo(real.resolve("jvmm"));
        Path sandbox = StateRoot.canonical(root).resolve("s/abc");
        StateRoot.createPrivate(root, sandbox);
        for (Path d : new Path[] {real.resolve("jvmm"), real.resolve("jvmm/s")}) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(d))).as(d.toString()).isEqualTo("rwx--x--x");
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sandbox))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(real))).isEqualTo("rwxr-xr-x");
        assertThatThrownBy(() -> StateRoot.createPrivate(root, dir.resolve("elsewhere"))).isInstanceOf(IOException.class);
    }
}
