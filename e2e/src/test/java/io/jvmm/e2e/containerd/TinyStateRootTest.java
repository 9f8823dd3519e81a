package io.jvmm.e2e.containerd;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.e2e.Leftovers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A state root on a tmpfs far smaller than a VM template (templates on, a 1 GiB VM): the Create is
 * refused before any template file is written, with the numbers, and the tmpfs holds no file afterwards.
 */
class TinyStateRootTest {
    private static final int TMPFS_MIB = 96;

    private static Path dir;
    private static Path stateRoot;
    private static PrivateContainerd containerd;
    private static JvmmRuntime jvmm;

    @BeforeAll
    static void start() throws Exception {
        jvmm = JvmmRuntime.get();
        dir = Files.createTempDirectory(Path.of("/tmp"), "jvmm-tiny");
        stateRoot = Files.createDirectories(dir.resolve("state"));
        run("mount", "-t", "tmpfs", "-o", "size=" + TMPFS_MIB + "m,mode=0711", "jvmm-tiny", stateRoot.toString());
        containerd = PrivateContainerd.start(List.of(jvmm.binDir()));
    }

    @AfterAll
    static void nothingIsLeftBehind() throws Exception {
        try {
            if (containerd != null) {
                assertThat(jvmm.closeAndListLeftovers(containerd)).isEmpty();
            }
            assertThat(Leftovers.processesMentioning(stateRoot.toString())).isEmpty();
        } finally {
            run("umount", "-l", stateRoot.toString());
            Leftovers.deleteTree(dir);
        }
    }

    @Test
    void aTemplateLargerThanTheStateRootIsRefusedBeforeAnythingIsWritten() throws Exception {
        Path config = dir.resolve("tiny.json");
        Files.writeString(config, jvmm.configWith(Map.of("stateRoot", stateRoot.toString(), "templates", true)));

        PrivateContainerd.Result r = containerd.ctr(
                null, CtrArgs.array(CtrArgs.run(false, JvmmRuntime.RUNTIME, config, List.of(), "tiny-root", "true")));
        containerd.ctr(null, "containers", "delete", "tiny-root");

        assertThat(r.exitCode()).isNotZero();
        assertThat(r.stderr())
                .containsPattern("a template of 1024 MiB needs 1024 MiB in \\S+, whose file system"
                        + " \\(jvmm-tiny\\) has \\d+ MiB free");
        try (Stream<Path> walk = Files.walk(stateRoot)) {
            // The template's lock file may stay (empty: makers of one template take turns on it).
            assertThat(walk.filter(Files::isRegularFile)
                            .filter(f -> !f.getFileName().toString().equals("lock"))
                            .toList())
                    .as("files left on the state root")
                    .isEmpty();
        }
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).inheritIO().start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0)
                .as(String.join(" ", command))
                .isTrue();
    }
}
