package io.jvmm.task;

import static io.jvmm.task.TaskServiceTest.SOON;
import static io.jvmm.task.TaskServiceTest.codeOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.task.event.TaskEvent;
import io.jvmm.ttrpc.Code;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A guest slow to create a container (its call may take minutes) holds up only that Create: the other
 * containers are killed and deleted, the sandbox stopped and the shim shut down meanwhile, as they would be
 * with runc, where creates of different containers are independent. The old code ran the guest call under
 * the sandbox's monitor, which every one of those calls takes.
 */
class SlowGuestTest extends TaskFixtureTest {
    final CompletableFuture<Void> gate = new CompletableFuture<>();
    final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void close() {
        gate.complete(null);
        pool.shutdownNow();
    }

    CreateTask request(String id) {
        return f.request(id);
    }

    /** Starts creating {@code id} with the guest holding its CreateContainer; returns once the guest has it. */
    Future<Code> slowCreate(String id) throws Exception {
        guest.holdCreates(gate);
        CreateTask r = request(id);
        Future<Code> answer = pool.submit(() -> {
            try {
                tasks.create(r);
                return Code.OK;
            } catch (TaskException e) {
                return e.statusCode();
            }
        });
        long deadline = System.nanoTime() + SOON.toNanos();
        while (!guest.calls.contains("CreateContainer " + id) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(guest.calls).contains("CreateContainer " + id);
        return answer;
    }

    /** Runs {@code call} on another thread and answers whether it returned within {@code SOON}. */
    <T> T within(Callable<T> call) throws Exception {
        return pool.submit(call).get(SOON.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Test
    void anotherContainerIsKilledAndDeletedWhileACreateWaitsForTheGuest() throws Exception {
        tasks.create(request("c1"));
        tasks.start("c1", "");
        Future<Code> slow = slowCreate("c2");

        tasks.kill("c1", "", 9, false);
        assertThat(tasks.await("c1", "", Optional.of(SOON), new CompletableFuture<>())
                        .status())
                .isEqualTo(137);
        assertThat(within(() -> tasks.delete("c1", "")).exit().status()).isEqualTo(137);
        assertThat(within(() -> tasks.shutdown(false)))
                .as("c2 is being created: the shim stays")
                .isFalse();
        assertThat(codeOf(() -> tasks.create(request("c2"))))
                .as("a second Create of an id being created")
                .isEqualTo(Code.ALREADY_EXISTS);

        gate.complete(null);
        assertThat(slow.get(SOON.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(Code.OK);
        assertThat(tasks.state("c2", "").pid()).isEqualTo(4242);
    }

    @Test
    void pauseAndCheckpointAreRefusedWhileAContainerIsBeingCreated() throws Exception {
        tasks.create(request("c1"));
        tasks.start("c1", "");
        Future<Code> slow = slowCreate("c2");

        assertThat(within(() -> codeOf(() -> tasks.pause("c1")))).isEqualTo(Code.FAILED_PRECONDITION);
        assertThat(within(() -> codeOf(() -> tasks.checkpoint("c1", dir.resolve("cp"), false))))
                .isEqualTo(Code.FAILED_PRECONDITION);
        assertThat(sandbox.calls).doesNotContain("pause", "checkpoint c1");

        gate.complete(null);
        assertThat(slow.get(SOON.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(Code.OK);
        tasks.pause("c1");
        assertThat(sandbox.calls).contains("pause");
    }

    @Test
    void theSandboxStopsWhileACreateWaitsAndThatCreateFailsLeavingNothing() throws Exception {
        tasks.create(request("c1"));
        Future<Code> slow = slowCreate("c2");

        within(() -> {
            tasks.sandbox().stop(Duration.ofSeconds(1));
            return null;
        });
        assertThat(slow.get(SOON.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(Code.UNAVAILABLE);
        assertThat(codeOf(() -> tasks.state("c2", ""))).isEqualTo(Code.NOT_FOUND);
        assertThat(sandbox.calls).contains("release c2");
        assertThat(events.stream()
                        .filter(TaskEvent.Created.class::isInstance)
                        .map(e -> ((TaskEvent.Created) e).containerId()))
                .containsExactly("c1");
    }

    @Test
    void aShimClosedWhileACreateWaitsRegistersNothing() throws Exception {
        Future<Code> slow = slowCreate("c1");

        within(() -> {
            tasks.close();
            return null;
        });
        assertThat(slow.get(SOON.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(Code.UNAVAILABLE);
        assertThat(codeOf(() -> tasks.state("c1", ""))).isEqualTo(Code.NOT_FOUND);
        assertThat(events).isEmpty();
    }

    /**
     * The shim closes (SIGTERM, Shutdown) while the first Create boots the VM: the boot is ended so the
     * close goes ahead. The old code's close waited for the boot, which holds the sandbox's monitor up to
     * the boot deadline (minutes under TCG), past the shim's grace.
     */
    @Test
    void aCloseDuringABootEndsTheBootAndGoesAhead() throws Exception {
        sandbox.bootGate = new CountDownLatch(1);
        CreateTask r = request("c1");
        Future<Code> create = pool.submit(() -> codeOf(() -> tasks.create(r)));
        long deadline = System.nanoTime() + SOON.toNanos();
        while (!sandbox.calls.contains("boot 1x256") && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }

        within(() -> {
            tasks.close();
            return null;
        });
        assertThat(sandbox.calls).contains("abort", "close");
        assertThat(create.get(SOON.toMillis(), TimeUnit.MILLISECONDS)).isNotEqualTo(Code.OK);
        assertThat(events).isEmpty();
    }
}
