package io.jvmm.task;

import static io.jvmm.task.TaskServiceTest.SOON;
import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.task.guest.ContainerStats;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The guest's numbers for the metrics endpoint ({@link TaskService#guestStats}), asked at every Prometheus
 * scrape on the endpoint's one thread: a guest that does not answer costs a scrape its guest rows, not the
 * scrape (the old code waited the agent's 60 s call deadline per container, past Prometheus's 10 s scrape
 * timeout, holding every later scrape); and a scrape never resumes a paused VM.
 */
class GuestStatsScrapeTest extends TaskFixtureTest {
    final CompletableFuture<Void> gate = new CompletableFuture<>();
    final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void release() {
        gate.complete(null);
        pool.shutdownNow();
    }

    @Test
    void aGuestThatDoesNotAnswerCostsTheScrapeItsRowsWithinTheScrapeBudget() throws Exception {
        f.createAndStart("c1");
        f.createAndStart("c2");
        guest.holdStats(gate);
        Map<String, ContainerStats> stats = pool.submit(tasks::guestStats).get(SOON.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(stats).isEmpty();
        assertThat(guest.calls).contains("ContainerStats c1");
    }

    @Test
    void aGuestThatAnswersGivesEveryContainersRow() throws Exception {
        f.createAndStart("c1");
        f.createAndStart("c2");
        assertThat(tasks.guestStats()).containsOnlyKeys("c1", "c2");
    }

    @Test
    void aScrapeLeavesAPausedVmPausedAndItsRowsOut() throws Exception {
        f.createAndStart("c1");
        tasks.pause("c1");
        assertThat(tasks.guestStats()).isEmpty();
        assertThat(sandbox.calls).doesNotContain("resume");
        assertThat(sandbox.isPaused()).isTrue();
        assertThat(guest.calls).doesNotContain("ContainerStats c1");
    }
}
