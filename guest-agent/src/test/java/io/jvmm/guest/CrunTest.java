package io.jvmm.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** crun runs only once the agent is the subreaper (its prctl runs beside the agent's start-up). */
class CrunTest {
    @TempDir
    Path dir;

    /** A stand-in for crun that records that it ran. */
    private Path fakeCrun(Path ran) throws IOException {
        Path script = dir.resolve("crun");
        Files.writeString(script, "#!/bin/sh\ntouch '" + ran + "'\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }

    @Test
    void crunWaitsUntilTheAgentIsTheSubreaper() throws Exception {
        Path ran = dir.resolve("ran");
        CountDownLatch prctl = new CountDownLatch(1);
        Subreaper subreaper = Subreaper.start(() -> {
            try {
                prctl.await();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
        });
        Crun crun = new Crun(fakeCrun(ran), dir.resolve("root"), dir.resolve("logs"), subreaper);
        Thread create = Thread.ofPlatform().start(() -> {
            try {
                crun.run("c1", List.of("create", "c1"));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (create.getState() != Thread.State.WAITING && create.getState() != Thread.State.TIMED_WAITING) {
            assertThat(System.nanoTime()).as("crun's caller waits").isLessThan(deadline);
            Thread.sleep(5);
        }
        assertThat(ran).as("crun ran before the agent was the subreaper").doesNotExist();
        prctl.countDown();
        create.join(10_000);
        assertThat(create.isAlive()).isFalse();
        assertThat(ran).exists();
    }

    @Test
    void aFailedPrctlRefusesEveryCrunCallAndRunsNone() throws Exception {
        Path ran = dir.resolve("ran");
        Subreaper subreaper = Subreaper.start(() -> {
            throw new IOException("prctl(PR_SET_CHILD_SUBREAPER) failed: EINVAL");
        });
        Crun crun = new Crun(fakeCrun(ran), dir.resolve("root"), dir.resolve("logs"), subreaper);
        assertThatThrownBy(() -> crun.run("c1", List.of("create", "c1")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("subreaper")
                .hasMessageContaining("EINVAL");
        assertThat(ran).doesNotExist();
    }

    @Test
    void afterThePrctlCrunRunsAndItsFailureIsReported() throws Exception {
        Subreaper subreaper = Subreaper.start(() -> {});
        assertThat(subreaper.await(Duration.ofSeconds(10))).isGreaterThanOrEqualTo(0);
        Path script = dir.resolve("failing-crun");
        Files.writeString(script, "#!/bin/sh\nexit 3\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        Crun crun = new Crun(script, dir.resolve("root"), dir.resolve("logs"), subreaper);
        assertThatThrownBy(() -> crun.run("c1", List.of("start", "c1")))
                .isInstanceOf(Crun.CrunException.class)
                .hasMessageContaining("crun start failed (exit 3)");
    }
}
