package io.jvmm.shim.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** start's question to containerd's binary, with real processes standing in for containerd. */
@Timeout(30)
class ContainerdVersionQueryTest {
    @TempDir
    Path dir;

    @Test
    void theVersionIsReadFromWhatTheBinaryPrints() throws IOException {
        Path binary = script("echo 'containerd github.com/containerd/containerd/v2 v2.1.9 abcdef'");
        Optional<int[]> version =
                ContainerdVersionQuery.start(binary.toString(), cache()).version();
        assertThat(version).hasValueSatisfying(v -> assertThat(v).containsExactly(2, 1));
    }

    @Test
    void aBinaryThatDoesNotAnswerIsKilledAtTheDeadlineAndTheVersionIsUnknown() throws Exception {
        Path pidFile = dir.resolve("pid");
        Path binary = script("echo $$ > " + pidFile + "; exec sleep 30");
        long begun = System.nanoTime();
        Optional<int[]> version = ContainerdVersionQuery.start(binary.toString(), cache(), Duration.ofMillis(500))
                .version();
        assertThat(version).isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - begun)).isLessThan(Duration.ofSeconds(5));
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        ProcessHandle sleeper = ProcessHandle.of(pid).orElse(null);
        if (sleeper != null) {
            sleeper.onExit().get(5, TimeUnit.SECONDS);
        }
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive))
                .as("the binary was killed")
                .isNotEqualTo(Optional.of(true));
    }

    @Test
    void aMissingBinaryOrNoneAtAllGivesAnUnknownVersion() {
        assertThat(ContainerdVersionQuery.start(
                                dir.resolve("no-such-containerd").toString(), cache())
                        .version())
                .isEmpty();
        assertThat(ContainerdVersionQuery.start("", cache()).version()).isEmpty();
    }

    @Test
    void outputThatIsNoVersionGivesAnUnknownVersion() throws IOException {
        assertThat(ContainerdVersionQuery.start(
                                script("echo 'usage: containerd [flags]'; exit 2")
                                        .toString(),
                                cache())
                        .version())
                .isEmpty();
        assertThat(cache()).as("nothing recorded for no version").doesNotExist();
    }

    /** The second start with the same binary reads the version recorded by the first and spawns nothing. */
    @Test
    void aVersionOnceAskedIsReadFromTheCacheWithoutSpawning() throws Exception {
        Path count = dir.resolve("spawns");
        Path binary = script("echo x >> " + count + "; echo 'containerd github.com/containerd/containerd v1.6.20 1'");
        assertThat(ContainerdVersionQuery.start(binary.toString(), cache()).version())
                .hasValueSatisfying(v -> assertThat(v).containsExactly(1, 6));
        assertThat(ContainerdVersionQuery.start(binary.toString(), cache()).version())
                .hasValueSatisfying(v -> assertThat(v).containsExactly(1, 6));
        assertThat(Files.readAllLines(count)).as("spawns of the binary").hasSize(1);

        // A replaced binary (an upgrade) is another identity: asked again.
        Files.writeString(
                binary,
                "#!/bin/sh\necho x >> " + count + "; echo 'containerd github.com/containerd/containerd/v2 v2.1.9 2'\n");
        assertThat(ContainerdVersionQuery.start(binary.toString(), cache()).version())
                .hasValueSatisfying(v -> assertThat(v).containsExactly(2, 1));
        assertThat(Files.readAllLines(count)).hasSize(2);
    }

    @Test
    void aCacheFileThatIsNoCacheIsIgnoredAndReplaced() throws Exception {
        Files.write(cache(), new byte[] {0, 1, 2, '\t', '\n', 'x'});
        Path binary = script("echo 'containerd github.com/containerd/containerd/v2 v2.1.9 abcdef'");
        assertThat(ContainerdVersionQuery.start(binary.toString(), cache()).version())
                .hasValueSatisfying(v -> assertThat(v).containsExactly(2, 1));
        assertThat(Files.readString(cache())).endsWith("\t2.1\n");
    }

    private Path cache() {
        return dir.resolve("versions");
    }

    private Path script(String body) throws IOException {
        Path file = dir.resolve("containerd-" + Math.abs(body.hashCode()));
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
        return file;
    }
}
