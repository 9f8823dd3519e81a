package io.jvmm.guest;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.guest.sys.GuestSyscalls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * With this test JVM made a child subreaper (as the agent is), a shell that backgrounds a short sleep
 * and exits leaves that sleep to us: a real orphan, and a zombie once it ends.
 */
class OrphanReaperTest {
    private static final Duration MIN_AGE = Duration.ofMillis(300);
    private final Object lock = new Object();

    @BeforeAll
    static void becomeSubreaper() throws Exception {
        GuestSyscalls.becomeSubreaper();
    }

    @Test
    void anOrphanedZombieIsReapedOnTheSecondSweepThatSeesIt() throws Exception {
        int orphan = orphanedZombie();
        OrphanReaper reaper = new OrphanReaper(lock, pid -> false, MIN_AGE);

        assertThat(reaper.sweep()).as("first sighting: left alone").isZero();
        assertThat(reaper.sweep()).as("seen again at once: still too young").isZero();
        assertThat(isZombie(orphan)).isTrue();
        Thread.sleep(MIN_AGE.toMillis());
        assertThat(reaper.sweep())
                .as("a zombie for longer than the minimum age: reaped")
                .isEqualTo(1);
        assertThat(Files.exists(Path.of("/proc", Integer.toString(orphan)))).isFalse();
    }

    @Test
    void aZombieAContainerProcessOwnsIsLeftToItsOwnReaper() throws Exception {
        int owned = orphanedZombie();
        OrphanReaper reaper = new OrphanReaper(lock, pid -> pid == owned, MIN_AGE);
        try {
            reaper.sweep();
            Thread.sleep(MIN_AGE.toMillis());
            assertThat(reaper.sweep()).isZero();
            assertThat(isZombie(owned)).as("still waiting for its owner").isTrue();
        } finally {
            assertThat(GuestSyscalls.reapIfExited(owned)).isTrue();
        }
    }

    @Test
    void noSweepHappensWhileAProcessIsBeingCreated() throws Exception {
        int orphan = orphanedZombie();
        OrphanReaper reaper = new OrphanReaper(lock, pid -> false, MIN_AGE);
        reaper.sweep();
        Thread.sleep(MIN_AGE.toMillis());
        Thread sweeper;
        synchronized (lock) {
            sweeper = Thread.ofPlatform().start(() -> {
                try {
                    reaper.sweep();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            sweeper.join(300);
            assertThat(sweeper.isAlive())
                    .as("the sweep waits for the creation to finish")
                    .isTrue();
            assertThat(isZombie(orphan)).isTrue();
        }
        sweeper.join(10_000);
        assertThat(Files.exists(Path.of("/proc", Integer.toString(orphan)))).isFalse();
    }

    @Test
    void theEndOfAChildWakesTheReaperLongBeforeItsIdleInterval() throws Exception {
        assertThat(OrphanReaper.onChildSignal(() -> {}))
                .as("SIGCHLD can be handled (else sweeps are timed)")
                .isTrue();
        OrphanReaper reaper = new OrphanReaper(lock, pid -> false, MIN_AGE);
        Thread sweeper = reaper.start(Duration.ofMillis(100), Duration.ofHours(1));
        try {
            int orphan = orphanedZombie();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (Files.exists(Path.of("/proc", Integer.toString(orphan))) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(Files.exists(Path.of("/proc", Integer.toString(orphan))))
                    .as("orphan %d reaped", orphan)
                    .isFalse();
        } finally {
            sweeper.interrupt();
            sweeper.join(5000);
        }
    }

    /** A background sleep whose shell exited before it: our child by adoption, then a zombie. */
    private static int orphanedZombie() throws Exception {
        Process sh = new ProcessBuilder("sh", "-c", "sleep 0.2 & echo $!").start();
        int pid = Integer.parseInt(new String(sh.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip());
        assertThat(sh.waitFor(10, TimeUnit.SECONDS)).isTrue();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!isZombie(pid) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(isZombie(pid))
                .as("orphan %d ended and waits to be reaped", pid)
                .isTrue();
        return pid;
    }

    private static boolean isZombie(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) == 'Z';
        } catch (IOException e) {
            return false;
        }
    }
}
