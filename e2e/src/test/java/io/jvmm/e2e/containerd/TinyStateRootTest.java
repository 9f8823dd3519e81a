package io.jvmm.e2e.containerd;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.e2e.Leftovers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * State roots on small tmpfs (templates on, a 1 GiB VM). One far smaller than a VM template: the Create
 * is refused before any template file is written, with the numbers. One with room for the template that
 * another writer fills while the template is made: the Create fails naming the full file system, no
 * partial template is left, and once the room is back the next container makes its template and runs.
 */
class TinyStateRootTest {
    private static final int TMPFS_MIB = 96;
    /** Room for the 1 GiB template's memory file and the little else a state root holds. */
    private static final int ROOMY_TMPFS_MIB = 1024 + 64;

    private static Path dir;
    private static Path stateRoot;
    private static Path roomyStateRoot;
    private static PrivateContainerd containerd;
    private static JvmmRuntime jvmm;

    @BeforeAll
    static void start() throws Exception {
        jvmm = JvmmRuntime.get();
        dir = Files.createTempDirectory(Path.of("/tmp"), "jvmm-tiny");
        stateRoot = Files.createDirectories(dir.resolve("state"));
        run("mount", "-t", "tmpfs", "-o", "size=" + TMPFS_MIB + "m,mode=0711", "jvmm-tiny", stateRoot.toString());
        roomyStateRoot = Files.createDirectories(dir.resolve("roomy"));
        run(
                "mount",
                "-t",
                "tmpfs",
                "-o",
                "size=" + ROOMY_TMPFS_MIB + "m,mode=0711",
                "jvmm-roomy",
                roomyStateRoot.toString());
        containerd = PrivateContainerd.start(List.of(jvmm.binDir()));
    }

    @AfterAll
    static void nothingIsLeftBehind() throws Exception {
        try {
            if (containerd != null) {
                assertThat(jvmm.closeAndListLeftovers(containerd)).isEmpty();
            }
            assertThat(Leftovers.processesMentioning(stateRoot.toString())).isEmpty();
            assertThat(Leftovers.processesMentioning(roomyStateRoot.toString())).isEmpty();
        } finally {
            run("umount", "-l", stateRoot.toString());
            run("umount", "-l", roomyStateRoot.toString());
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

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aStateRootThatFillsWhileTheTemplateIsMadeFailsTheCreateClearlyAndLeavesNoPartialTemplate() throws Exception {
        Path config = dir.resolve("roomy.json");
        Files.writeString(config, jvmm.configWith(Map.of("stateRoot", roomyStateRoot.toString(), "templates", true)));
        Path filler = roomyStateRoot.resolve("filler");
        // Another writer takes the room once the template's VM has started (admission has passed by then).
        CompletableFuture<Long> filled = CompletableFuture.supplyAsync(() -> fillOnceTheTemplateVmStarts(filler));

        PrivateContainerd.Result r = containerd.ctr(
                null, CtrArgs.array(CtrArgs.run(false, JvmmRuntime.RUNTIME, config, List.of(), "full-root", "true")));
        containerd.ctr(null, "containers", "delete", "full-root");
        long fillerBytes = filled.get(60, TimeUnit.SECONDS);

        assertThat(fillerBytes).as("the filler's size").isPositive();
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.stderr()).containsPattern("file system \\(jvmm-roomy\\) (is full|has \\d+ MiB free)");
        try (Stream<Path> walk = Files.walk(roomyStateRoot)) {
            assertThat(walk.filter(f -> !f.equals(filler))
                            .filter(f -> f.getFileName().toString().endsWith(".partial")
                                    || f.getFileName().toString().equals("snapshot")
                                    || f.getFileName().toString().equals("vm"))
                            .toList())
                    .as("template files left on the state root")
                    .isEmpty();
        }

        Files.delete(filler);
        PrivateContainerd.Result again = containerd.ctr(
                null, CtrArgs.array(CtrArgs.run(false, JvmmRuntime.RUNTIME, config, List.of(), "full-root-2", "true")));
        containerd.ctr(null, "containers", "delete", "full-root-2");
        assertThat(again.exitCode()).as(again.stderr()).isZero();
    }

    /** Fills the state root's free space into {@code filler} once a template's VM directory appears; its size. */
    private static long fillOnceTheTemplateVmStarts(Path filler) {
        try {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (System.nanoTime() < deadline) {
                Path templates = roomyStateRoot.resolve("t");
                if (Files.isDirectory(templates)) {
                    try (Stream<Path> keys = Files.list(templates)) {
                        if (keys.anyMatch(k -> Files.isDirectory(k.resolve("vm")))) {
                            long free = Files.getFileStore(roomyStateRoot).getUsableSpace();
                            run("fallocate", "-l", Long.toString(free), filler.toString());
                            return Files.size(filler);
                        }
                    }
                }
                Thread.sleep(20);
            }
            return -1;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).inheritIO().start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0)
                .as(String.join(" ", command))
                .isTrue();
    }
}
