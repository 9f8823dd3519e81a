package io.jvmm.e2e.vm;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.e2e.Leftovers;
import io.jvmm.ttrpc.testing.GoPeer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The guest image cache keeps the entries built last and deletes the rest (scripts/lib/cache.sh, called by
 * packaging/guest/build-*.sh once they add an entry): without it every change of the agent left another
 * 120 MiB runtime disk behind (6.7 GiB of them on a machine after a day's work).
 */
class GuestCacheTest {
    private static final String RUNTIMES = "runtime-????????????????.sqfs";
    private static final String INITRDS = "initrd-????????????????";

    private Path cache;

    @BeforeEach
    void createCache() throws IOException {
        cache = Files.createTempDirectory(Path.of("/tmp"), "jvmm-cache");
    }

    @AfterEach
    void removeCache() {
        Leftovers.deleteTree(cache);
    }

    @Test
    void keepsTheEntriesBuiltLastAndDeletesTheOthers() throws IOException {
        for (int i = 1; i <= 6; i++) {
            builtAt(Files.createFile(cache.resolve(runtime(i))), i);
            builtAt(
                    Files.createDirectories(cache.resolve(initrd(i)).resolve("x"))
                            .getParent(),
                    i);
        }

        prune(RUNTIMES, 4);
        prune(INITRDS, 2);

        assertThat(names())
                .containsExactlyInAnyOrder(runtime(3), runtime(4), runtime(5), runtime(6), initrd(5), initrd(6));
    }

    @Test
    void leavesBuildsInProgressAndOtherFilesAlone() throws IOException {
        for (int i = 1; i <= 3; i++) {
            builtAt(Files.createFile(cache.resolve(runtime(i))), i);
        }
        // What the build scripts write before they move an entry into place, and the packages they download.
        builtAt(Files.createDirectories(cache.resolve(initrd(9) + ".tmp")), 0);
        builtAt(Files.createDirectories(cache.resolve(".runtime.AbC123")), 0);
        builtAt(Files.createDirectories(cache.resolve("debs")), 0);

        prune(RUNTIMES, 1);
        prune(INITRDS, 1);

        assertThat(names()).containsExactlyInAnyOrder(runtime(3), initrd(9) + ".tmp", ".runtime.AbC123", "debs");
    }

    @Test
    void anEmptyCacheAndABadCountAreAnswered() throws IOException {
        assertThat(prune(RUNTIMES, 4).exitCode()).isZero();
        Files.createFile(cache.resolve(runtime(1)));

        GoPeer.Result zero = prune(RUNTIMES, 0);

        assertThat(zero.exitCode()).isEqualTo(2);
        assertThat(zero.stderr()).contains("keep must be a positive number");
        assertThat(names()).containsExactly(runtime(1));
    }

    private GoPeer.Result prune(String glob, int keep) {
        Path lib = GoPeer.repoRoot().resolve("scripts/lib/cache.sh");
        return GoPeer.run(
                List.of(
                        "bash",
                        "-c",
                        "source \"$1\" && cache_prune \"$2\" \"$3\" \"$4\"",
                        "prune",
                        lib.toString(),
                        cache.toString(),
                        glob,
                        Integer.toString(keep)),
                30);
    }

    private List<String> names() throws IOException {
        try (Stream<Path> files = Files.list(cache)) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }

    private static void builtAt(Path entry, int minute) throws IOException {
        Files.setLastModifiedTime(entry, FileTime.fromMillis(1_700_000_000_000L + minute * 60_000L));
    }

    private static String runtime(int i) {
        return "runtime-%016x.sqfs".formatted(i);
    }

    private static String initrd(int i) {
        return "initrd-%016x".formatted(i);
    }
}
