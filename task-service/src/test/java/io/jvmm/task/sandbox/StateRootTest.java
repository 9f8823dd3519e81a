package io.jvmm.task.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jvmm.vmm.SafeTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The state root: canonicalised once, private where it must be. */
class StateRootTest {
    private Path dir;

    @BeforeEach
    void create() throws IOException {
        dir = Files.createTempDirectory("jvmm-stateroot").toRealPath();
    }

    @AfterEach
    void remove() throws IOException {
        SafeTree.delete(dir);
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
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(d)))
                    .as(d.toString())
                    .isEqualTo("rwx--x--x");
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sandbox)))
                .isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(real)))
                .isEqualTo("rwxr-xr-x");
        assertThatThrownBy(() -> StateRoot.createPrivate(root, dir.resolve("elsewhere")))
                .isInstanceOf(IOException.class);
    }
}
