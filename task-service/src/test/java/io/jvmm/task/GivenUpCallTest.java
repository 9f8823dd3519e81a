package io.jvmm.task;

import static io.jvmm.task.TaskServiceTest.SOON;
import static io.jvmm.task.TaskServiceTest.codeOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.task.event.TaskEvent;
import io.jvmm.ttrpc.Code;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * containerd gives a call up while the guest is slow: its deadline passes or its client goes away (the
 * shim's ttrpc server then interrupts the handler's thread), or it deletes a container whose Create it
 * stopped waiting for and then asks the shim to shut down (containerd's clean-up after a failed Create).
 * What containerd gave up must still end whole: a delete finishes, a create is undone, and a Shutdown that
 * leaves only such work ends the shim. The old code stopped a delete halfway (the container stayed
 * registered, the Shutdown was ignored, the shim and its VM ran on: the soak's leaked run) and kept a
 * Create containerd had given up.
 */
class GivenUpCallTest extends TaskFixtureTest {
    final CompletableFuture<Void> gate = new CompletableFuture<>();

    @AfterEach
    void openTheGate() {
        gate.complete(null);
    }

    /** A call on a thread of its own, which the test may interrupt as the ttrpc server does. */
    static final class Call<T> {
        final CompletableFuture<T> answer = new CompletableFuture<>();
        final Thread thread;

        Call(Supplier<T> call) {
            thread = Thread.ofPlatform().daemon(true).start(() -> {
                try {
                    answer.complete(call.get());
                } catch (Throwable t) {
                    answer.completeExceptionally(t);
                }
            });
        }

        /** Interrupts the call and returns the code it ended with (OK if it succeeded). */
        Code interruptAndAwait() throws Exception {
            thread.interrupt();
            thread.join(SOON.toMillis());
            assertThat(thread.isAlive()).as("the interrupted call returned").isFalse();
            return code();
        }

        Code code() throws Exception {
            try {
                answer.get(SOON.toMillis(), TimeUnit.MILLISECONDS);
                return Code.OK;
            } catch (ExecutionException e) {
                return e.getCause() instanceof TaskException t ? t.statusCode() : Code.UNKNOWN;
            }
        }
    }

    void awaitGuestCall(String call) throws InterruptedException {
        long deadline = System.nanoTime() + SOON.toNanos();
        while (!guest.calls.contains(call) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(guest.calls).contains(call);
    }

    void awaitGone(String id) throws InterruptedException {
        long deadline = System.nanoTime() + SOON.toNanos();
        while (System.nanoTime() < deadline && stillThere(id)) {
            Thread.sleep(10);
        }
        assertThat(stillThere(id))
                .as("container %s still known to the shim", id)
                .isFalse();
    }

    private boolean stillThere(String id) {
        try {
            tasks.state(id, "");
            return true;
        } catch (TaskException e) {
            return e.statusCode() != Code.NOT_FOUND;
        }
    }

    /** A stopped container whose Delete the guest holds; returns the Delete under way. */
    Call<TaskService.DeleteResult> heldDelete(String id) throws Exception {
        f.createAndStart(id);
        tasks.kill(id, "", 9, false);
        assertThat(f.awaitExit(id, "")).isEqualTo(137);
        guest.holdDeletes(gate);
        Call<TaskService.DeleteResult> delete = new Call<>(() -> tasks.delete(id, ""));
        awaitGuestCall("DeleteContainer " + id);
        return delete;
    }

    /** A Create of {@code id} whose CreateContainer the guest holds. */
    Call<Integer> heldCreate(String id) throws Exception {
        guest.holdCreates(gate);
        CreateTask r = f.request(id);
        Call<Integer> create = new Call<>(() -> tasks.create(r));
        awaitGuestCall("CreateContainer " + id);
        return create;
    }

    @Test
    void aDeleteCutShortByItsCallerStillRemovesTheContainerWhenTheGuestAnswers() throws Exception {
        Call<TaskService.DeleteResult> delete = heldDelete("c1");

        assertThat(delete.interruptAndAwait()).isNotEqualTo(Code.OK);
        gate.complete(null);

        awaitGone("c1");
        assertThat(guest.exists("c1", "")).isFalse();
        assertThat(sandbox.calls).contains("release c1");
        assertThat(events)
                .anyMatch(
                        e -> e instanceof TaskEvent.Deleted d && d.containerId().equals("c1"));
    }

    @Test
    void aShutdownAfterTheLastContainersDeleteWasCutShortEndsTheShim() throws Exception {
        Call<TaskService.DeleteResult> delete = heldDelete("c1");
        delete.interruptAndAwait();

        Call<Boolean> shutdown = new Call<>(() -> tasks.shutdown(false));
        assertThat(shutdown.code()).isEqualTo(Code.OK);
        assertThat(shutdown.answer.get()).as("the shim may exit").isTrue();
        assertThat(sandbox.calls).contains("close");
    }

    /**
     * containerd's retry of a Delete it gave up (its deadline passed) while the first still runs: NOT_FOUND
     * at once, as for a task that is gone, since the first goes on to its end. The old code waited on the
     * first (the process's monitor) and then refused the deleted process: FAILED_PRECONDITION.
     */
    @Test
    void aSecondDeleteWhileTheFirstGoesOnAnswersNotFoundAtOnce() throws Exception {
        Call<TaskService.DeleteResult> first = heldDelete("c1");
        first.interruptAndAwait();

        Call<TaskService.DeleteResult> second = new Call<>(() -> tasks.delete("c1", ""));
        assertThat(second.code()).isEqualTo(Code.NOT_FOUND);
        gate.complete(null);
        awaitGone("c1");
    }

    /**
     * A sandbox slow to close (its VM slow to stop under load): Shutdown answers within containerd's 3 s
     * anyway, and the close goes on (the shim's exit waits for it). The old code answered only once the
     * close was done: containerd logged "failed to shutdown shim task and the shim might be leaked".
     */
    @Test
    void aShutdownAnswersInTimeWhileASlowCloseGoesOn() throws Exception {
        f.createAndStart("c1");
        tasks.kill("c1", "", 9, false);
        f.awaitExit("c1", "");
        tasks.delete("c1", "");
        sandbox.closeGate = new CountDownLatch(1);

        long t0 = System.nanoTime();
        Call<Boolean> shutdown = new Call<>(() -> tasks.shutdown(false));
        assertThat(shutdown.answer.get(3, TimeUnit.SECONDS))
                .as("the shim may exit")
                .isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(2900));
        assertThat(sandbox.calls).contains("close").doesNotContain("closed");

        sandbox.closeGate.countDown();
        tasks.close();
        assertThat(sandbox.calls).contains("closed");
    }

    @Test
    void aShutdownWhileAnotherContainerRunsIsStillIgnored() throws Exception {
        f.createAndStart("c2");
        Call<TaskService.DeleteResult> delete = heldDelete("c1");
        delete.interruptAndAwait();

        assertThat(new Call<>(() -> tasks.shutdown(false)).answer.get(SOON.toMillis(), TimeUnit.MILLISECONDS))
                .as("c2 runs: the shim stays")
                .isFalse();
        gate.complete(null);
        awaitGone("c1");
        assertThat(tasks.state("c2", "").pid()).isPositive();
    }

    @Test
    void aDeleteOfAContainerBeingCreatedGivesTheCreateUpAndAShutdownEndsTheShim() throws Exception {
        Call<Integer> create = heldCreate("c1");

        assertThat(codeOf(() -> tasks.delete("c1", ""))).isEqualTo(Code.NOT_FOUND);
        Call<Boolean> shutdown = new Call<>(() -> tasks.shutdown(false));
        assertThat(shutdown.code()).isEqualTo(Code.OK);
        assertThat(shutdown.answer.get())
                .as("nothing containerd wants is left: the shim may exit")
                .isTrue();
        assertThat(create.code()).isNotEqualTo(Code.OK);
        assertThat(events).noneMatch(TaskEvent.Created.class::isInstance);
    }

    @Test
    void aCreateGivenUpBesideARunningContainerIsUndoneWhenTheGuestAnswers() throws Exception {
        f.createAndStart("c1");
        Call<Integer> create = heldCreate("c2");

        assertThat(codeOf(() -> tasks.delete("c2", ""))).isEqualTo(Code.NOT_FOUND);
        assertThat(tasks.shutdown(false)).as("c1 runs: the shim stays").isFalse();
        gate.complete(null);

        assertThat(create.code()).isNotEqualTo(Code.OK);
        assertThat(guest.exists("c2", "")).as("c2 in the guest").isFalse();
        assertThat(sandbox.calls).contains("release c2");
        assertThat(codeOf(() -> tasks.state("c2", ""))).isEqualTo(Code.NOT_FOUND);
        assertThat(events)
                .noneMatch(
                        e -> e instanceof TaskEvent.Created c && c.containerId().equals("c2"));
        assertThat(tasks.state("c1", "").pid()).isPositive();
    }

    @Test
    void aCreateWhoseCallerIsInterruptedIsUndoneInTheGuestWhenTheGuestAnswers() throws Exception {
        f.createAndStart("c1");
        Call<Integer> create = heldCreate("c2");

        assertThat(create.interruptAndAwait()).isNotEqualTo(Code.OK);
        gate.complete(null);

        long deadline = System.nanoTime() + SOON.toNanos();
        while (!sandbox.calls.contains("release c2") && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Thread.sleep(100); // the guest's late create (if the host stopped waiting for it) lands meanwhile
        assertThat(guest.exists("c2", ""))
                .as("c2 left in the guest, unknown to the shim")
                .isFalse();
        assertThat(sandbox.calls).contains("release c2");
        assertThat(tasks.create(f.request("c2"))).as("the id is free again").isPositive();
    }
}
