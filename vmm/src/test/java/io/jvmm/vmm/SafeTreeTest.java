package io.jvmm.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The one tree delete, on real files, links and bind mounts (as root). */
class SafeTreeTest {
    private Path dir;

    @BeforeEach
    void create() throws IOException {
        dir = Files.createTempDirectory("jvmm-safetree").toRealPath();
    }

    @AfterEach
    void remove() throws Exception {
        for (Path p : MountTable.under(dir)) {
            run("umount", "-l", p.toString());
        }
        SafeTree.delete(dir);
        assertThat(dir).doesNotExist();
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
    void aTreeWithAMountBelowIsNotTouched() throws Exception {
        Path mounted = Files.createDirectories(dir.resolve("tree/mnt"));
        Path source = Files.createDirectories(dir.resolve("source"));
        Files.writeString(source.resolve("keep"), "volume data\n");
        run("mount", "--bind", source.toString(), mounted.toString());
        assertThat(MountTable.under(dir.resolve("tree"))).containsExactly(mounted);

        assertThatThrownBy(() -> SafeTree.delete(dir.resolve("tree")))
                .isInstanceOf(IOException.class)
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
    void theMountTableNamesPathsWithSpacesAsTheyAre() throws Exception {
        Path spaced = Files.createDirectories(dir.resolve("with space"));
        run("mount", "-t", "tmpfs", "none", spaced.toString());
        assertThat(MountTable.under(dir)).containsExactly(spaced);
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(List.of(command)).inheritIO().start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command)).isZero();
    }
}
