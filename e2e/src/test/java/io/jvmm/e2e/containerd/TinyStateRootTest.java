package io.jvmm.e2e.containerd;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.e2e.Leftovers;
import io.jvmm.task.sandbox.VmTemplates;
import io.jvmm.ttrpc.testing.GoPeer;
import java.io.IOException;
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
 * State roots on small tmpfs (templates on, a 1 GiB VM). One far smaller than a VM template: making the
 * template ({@code templates make}, or the maker a container that found none starts beside its cold boot)
 * is refused before any template file is written, with the numbers, and the container runs anyway. One
 * with room for the template that another writer fills while the template is made: the maker fails naming
 * the full file system, no partial template is left, and once the room is back the template is made and
 * a container restores it.
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
        String refusal =
                "a template of 1024 MiB needs 1024 MiB in \\S+, whose file system \\(jvmm-tiny\\) has \\d+ MiB free";

        GoPeer.Result made = jvmm.makeTemplate(config);
        assertThat(made.exitCode()).as(made.stdout()).isEqualTo(1);
        assertThat(made.stderr()).containsPattern(refusal);
        assertNoTemplateFiles();

        // A container of that configuration boots cold; the maker started beside it is refused the same way.
        PrivateContainerd.Result r = containerd.ctr(
                null, CtrArgs.array(CtrArgs.run(false, JvmmRuntime.RUNTIME, config, List.of(), "tiny-root", "true")));
        containerd.ctr(null, "containers", "delete", "tiny-root");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        jvmm.awaitNoTemplateMakers(120);
        try (Stream<Path> logs = Files.walk(stateRoot)) {
            List<Path> makerLogs = logs.filter(f -> f.getFileName().toString().equals(VmTemplates.MAKER_LOG))
                    .toList();
            assertThat(makerLogs).hasSize(1);
            assertThat(Files.readString(makerLogs.getFirst())).containsPattern(refusal);
        }
        assertNoTemplateFiles();
    }

    /** Nothing of a template on the tiny state root but its makers' lock and log (empty or a few lines). */
    private static void assertNoTemplateFiles() throws IOException {
        try (Stream<Path> walk = Files.walk(stateRoot.resolve("t"))) {
            assertThat(walk.filter(Files::isRegularFile)
                            .filter(f -> !f.getFileName().toString().equals("lock")
                                    && !f.getFileName().toString().equals(VmTemplates.MAKER_LOG))
                            .toList())
                    .as("files left on the state root")
                    .isEmpty();
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aStateRootThatFillsWhileTheTemplateIsMadeFailsTheMakerClearlyAndLeavesNoPartialTemplate() throws Exception {
        Path config = dir.resolve("roomy.json");
        Files.writeString(config, jvmm.configWith(Map.of("stateRoot", roomyStateRoot.toString(), "templates", true)));
        Path filler = roomyStateRoot.resolve("filler");
        // Another writer takes the room once the template's VM has started (admission has passed by then).
        CompletableFuture<Long> filled = CompletableFuture.supplyAsync(() -> fillOnceTheTemplateVmStarts(filler));

        GoPeer.Result made = jvmm.makeTemplate(config);
        assertThat(made.exitCode()).as("%s%s", made.stdout(), made.stderr()).isEqualTo(1);
        long fillerBytes = filled.get(60, TimeUnit.SECONDS);

        assertThat(fillerBytes).as("the filler's size").isPositive();
        assertThat(made.stderr()).containsPattern("file system \\(jvmm-roomy\\) (is full|has \\d+ MiB free)");
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
        jvmm.ensureTemplate(config);
        PrivateContainerd.Result again = containerd.ctr(
                null, CtrArgs.array(CtrArgs.run(false, JvmmRuntime.RUNTIME, config, List.of(), "full-root-2", "true")));
        containerd.ctr(null, "containers", "delete", "full-root-2");
        assertThat(again.exitCode()).as(again.stderr()).isZero();
        assertThat(containerd.logLinesContaining("restored from a template")).isNotEmpty();
    }

    /**
     * Fills the state root's free space into {@code filler} once a template's VM has started writing its
     * memory file (after the maker's admission, which a fill at the moment its directory appears would race);
     * the filler's size.
     */
    private static long fillOnceTheTemplateVmStarts(Path filler) {
        try {
            long empty = Files.getFileStore(roomyStateRoot).getUsableSpace();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (System.nanoTime() < deadline) {
                Path templates = roomyStateRoot.resolve("t");
                if (Files.isDirectory(templates)) {
                    try (Stream<Path> keys = Files.list(templates)) {
                        long free = Files.getFileStore(roomyStateRoot).getUsableSpace();
                        if (keys.anyMatch(k -> Files.isDirectory(k.resolve("vm"))) && free < empty - (8L << 20)) {
                            return fill(filler);
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

    /**
     * Writes {@code filler} until its file system is full (QEMU allocates the template's memory as it goes, so
     * no size measured beforehand would still fit); the bytes it holds.
     */
    private static long fill(Path filler) throws IOException {
        byte[] chunk = new byte[4 << 20];
        try (var out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(chunk);
            }
        } catch (IOException full) {
            // no space left: what was written stays
        }
        return Files.size(filler);
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).inheritIO().start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0)
                .as(String.join(" ", command))
                .isTrue();
    }
}
