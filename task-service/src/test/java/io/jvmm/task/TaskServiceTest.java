package io.jvmm.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jvmm.task.event.TaskEvent;
import io.jvmm.task.guest.GuestErrors;
import io.jvmm.task.io.StdioConfig;
import io.jvmm.task.process.ExitStatus;
import io.jvmm.task.process.ProcessStatus;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.TtrpcException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The task service against a sandbox and a guest in memory: event order, exits after execs, a guest that
 * dies mid-call, concurrent calls, deadlines, and what reaches containerd when the guest refuses.
 */
class TaskServiceTest extends TaskFixtureTest {
    static final Duration SOON = Duration.ofSeconds(5);
    static final StdioConfig NO_STDIO = new StdioConfig("", "", "", false);
    static final byte[] PROCESS = "{\"args\":[\"sh\"],\"cwd\":\"/\"}".getBytes(StandardCharsets.UTF_8);

    /** Declares IOException for the callers that catch it around other calls too. */
    CreateTask request(String id) throws IOException {
        return f.request(id);
    }

    int createAndStart(String id) throws IOException {
        tasks.create(request(id));
        return tasks.start(id, "");
    }

    static Code codeOf(Runnable call) {
        try {
            call.run();
        } catch (TaskException e) {
            return e.statusCode();
        }
        throw new AssertionError("the call was accepted");
    }

    ExitStatus awaitExit(String id, String execId) {
        return f.exitOf(id, execId);
    }

    List<Class<?>> eventKinds() {
        return events.stream().<Class<?>>map(Object::getClass).toList();
    }

    @Test
    void aContainersLifeIsReportedInOrderWithTheVmmPid() throws Exception {
        int pid = tasks.create(request("c1"));
        assertThat(pid).isEqualTo(4242);
        assertThat(tasks.start("c1", "")).isEqualTo(4242);
        guest.exit("c1", "", 3);
        assertThat(awaitExit("c1", "").status()).isEqualTo(3);
        TaskService.DeleteResult deleted = tasks.delete("c1", "");
        assertThat(deleted.exit().status()).isEqualTo(3);
        assertThat(eventKinds())
                .containsExactly(
                        TaskEvent.Created.class,
                        TaskEvent.Started.class,
                        TaskEvent.Exited.class,
                        TaskEvent.Deleted.class);
        assertThat(sandbox.calls).containsExactly("mount c1", "boot 1x256", "release c1");
        assertThat(guest.calls).contains("DeleteContainer c1");
        assertThat(codeOf(() -> tasks.state("c1", ""))).isEqualTo(Code.NOT_FOUND);
    }

    @Test
    void theFirstCreateBootsTheVmAndTheOthersUseIt() throws Exception {
        createAndStart("c1");
        createAndStart("c2");
        assertThat(sandbox.calls.stream().filter(c -> c.startsWith("boot"))).hasSize(1);
        assertThat(codeOf(() -> {
                    try {
                        tasks.create(request("c1"));
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                }))
                .isEqualTo(Code.ALREADY_EXISTS);
    }

    @Test
    void aGuestThatRefusesCreateLeavesNothingAndItsCodeIsMapped() throws Exception {
        tasks.create(request("c0"));
        guest.failNext(
                "CreateContainer",
                GuestErrors.map("CreateContainer", new TtrpcException(Code.PERMISSION_DENIED, "crun: no")));
        CreateTask r = request("c1");
        assertThatThrownBy(() -> tasks.create(r))
                .isInstanceOf(TaskException.class)
                .hasMessage("guest CreateContainer: crun: no")
                .extracting(e -> ((TaskException) e).statusCode())
                .isEqualTo(Code.UNKNOWN);
        assertThat(sandbox.calls).endsWith("mount c1", "release c1");
        assertThat(codeOf(() -> tasks.state("c1", ""))).isEqualTo(Code.NOT_FOUND);
    }

    @Test
    void aVmThatCannotBootFailsCreateAsAnInternalErrorAndIsClosed() throws Exception {
        sandbox.bootFailure = new IOException("qemu: no");
        CreateTask r = request("c1");
        assertThatThrownBy(() -> tasks.create(r))
                .isInstanceOf(TaskException.class)
                .hasMessageContaining("qemu: no")
                .extracting(e -> ((TaskException) e).statusCode())
                .isEqualTo(Code.UNKNOWN);
        assertThat(sandbox.calls).containsExactly("mount c1", "boot 1x256", "close", "closed", "release c1");
        assertThat(events).isEmpty();
    }

    @Test
    void anInitsExitIsReportedOnlyAfterItsExecsExit() throws Exception {
        createAndStart("c1");
        tasks.exec("c1", "e1", NO_STDIO, PROCESS);
        tasks.start("c1", "e1");
        guest.exit("c1", "", 0);
        Thread.sleep(300);
        assertThat(events).noneMatch(e -> e instanceof TaskEvent.Exited);
        guest.exit("c1", "e1", 7);
        assertThat(awaitExit("c1", "").status()).isZero();
        List<TaskEvent.Exited> exits = events.stream()
                .filter(TaskEvent.Exited.class::isInstance)
                .map(TaskEvent.Exited.class::cast)
                .toList();
        assertThat(exits).extracting(TaskEvent.Exited::id).containsExactly("e1", "c1");
        assertThat(exits.get(0).exitStatus()).isEqualTo(7);
    }

    @Test
    void anExitTheGuestReportsBeforeStartAnswersIsPublishedAfterTheStart() throws Exception {
        tasks.create(request("c1"));
        guest.onStart(() -> {
            guest.exit("c1", "", 0);
            try {
                Thread.sleep(200); // the watcher has the exit; start has not answered yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        tasks.start("c1", "");
        awaitExit("c1", "");
        assertThat(eventKinds())
                .containsExactly(TaskEvent.Created.class, TaskEvent.Started.class, TaskEvent.Exited.class);
    }

    @Test
    void aGuestThatDiesReportsEveryProcessKilledAndDeleteStillWorks() throws Exception {
        createAndStart("c1");
        tasks.exec("c1", "e1", NO_STDIO, PROCESS);
        tasks.start("c1", "e1");
        sandbox.vmDied();
        assertThat(awaitExit("c1", "e1").status()).isEqualTo(137);
        assertThat(awaitExit("c1", "").status()).isEqualTo(137);
        assertThat(tasks.state("c1", "").state()).isEqualTo(ProcessStatus.STOPPED);
        assertThat(codeOf(() -> tasks.pids("c1"))).isEqualTo(Code.FAILED_PRECONDITION);
        assertThat(tasks.delete("c1", "e1").exit().status()).isEqualTo(137);
        assertThat(tasks.delete("c1", "").exit().status()).isEqualTo(137);
        assertThat(events.stream().filter(TaskEvent.Deleted.class::isInstance)).hasSize(1);
    }

    @Test
    void aGuestThatGoesAwayMidCallAnswersUnavailable() throws Exception {
        createAndStart("c1");
        guest.failNext("SignalProcess", TaskException.unavailable("agent connection lost during SignalProcess", null));
        assertThat(codeOf(() -> tasks.kill("c1", "", 15, false))).isEqualTo(Code.UNAVAILABLE);
        tasks.kill("c1", "", 15, false);
        assertThat(awaitExit("c1", "").status()).isEqualTo(143);
    }

    @Test
    void pauseAndResumeTakeEveryContainerOfTheVmWithThem() throws Exception {
        createAndStart("c1");
        createAndStart("c2");
        tasks.create(request("c3")); // created, not started: stays created
        tasks.exec("c1", "e1", NO_STDIO, PROCESS);
        tasks.start("c1", "e1");
        tasks.pause("c2");
        assertThat(sandbox.calls).containsOnlyOnce("pause");
        assertThat(tasks.state("c1", "").state()).isEqualTo(ProcessStatus.PAUSED);
        assertThat(tasks.state("c1", "e1").state()).isEqualTo(ProcessStatus.PAUSED);
        assertThat(tasks.state("c3", "").state()).isEqualTo(ProcessStatus.CREATED);
        assertThat(events.stream()
                        .filter(TaskEvent.Paused.class::isInstance)
                        .map(e -> ((TaskEvent.Paused) e).containerId()))
                .containsExactlyInAnyOrder("c1", "c2");
        tasks.resume("c1");
        assertThat(tasks.state("c2", "").state()).isEqualTo(ProcessStatus.RUNNING);
        assertThat(tasks.state("c1", "e1").state()).isEqualTo(ProcessStatus.RUNNING);
        assertThat(events.stream()
                        .filter(TaskEvent.Resumed.class::isInstance)
                        .map(e -> ((TaskEvent.Resumed) e).containerId()))
                .containsExactlyInAnyOrder("c1", "c2");
    }

    @Test
    void concurrentStartsStartOnce() throws Exception {
        tasks.create(request("c1"));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Code>> answers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                answers.add(pool.submit(() -> {
                    go.await();
                    try {
                        tasks.start("c1", "");
                        return Code.OK;
                    } catch (TaskException e) {
                        return e.statusCode();
                    }
                }));
            }
            go.countDown();
            List<Code> codes = new ArrayList<>();
            for (Future<Code> f : answers) {
                codes.add(f.get(10, TimeUnit.SECONDS));
            }
            assertThat(codes).containsOnlyOnce(Code.OK);
            assertThat(codes.stream().filter(c -> c == Code.FAILED_PRECONDITION))
                    .hasSize(7);
            assertThat(guest.calls.stream().filter(c -> c.startsWith("StartContainer")))
                    .hasSize(1);
            assertThat(events.stream().filter(TaskEvent.Started.class::isInstance))
                    .hasSize(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void concurrentCreatesOfOneIdMakeOneContainer() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Code>> answers = new ArrayList<>();
            CreateTask r = request("c1");
            for (int i = 0; i < 4; i++) {
                answers.add(pool.submit(() -> {
                    try {
                        tasks.create(r);
                        return Code.OK;
                    } catch (TaskException e) {
                        return e.statusCode();
                    }
                }));
            }
            List<Code> codes = new ArrayList<>();
            for (Future<Code> f : answers) {
                codes.add(f.get(10, TimeUnit.SECONDS));
            }
            assertThat(codes).containsOnlyOnce(Code.OK).containsOnly(Code.OK, Code.ALREADY_EXISTS);
            assertThat(guest.calls.stream().filter(c -> c.startsWith("CreateContainer")))
                    .hasSize(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void waitHonoursItsDeadlineAndItsCaller() throws Exception {
        createAndStart("c1");
        assertThat(codeOf(() -> tasks.await("c1", "", Optional.of(Duration.ofMillis(50)), new CompletableFuture<>())))
                .isEqualTo(Code.DEADLINE_EXCEEDED);
        CompletableFuture<Void> gone = new CompletableFuture<>();
        CompletableFuture<ExitStatus> waiting = CompletableFuture.supplyAsync(
                () -> tasks.await("c1", "", Optional.empty(), gone),
                r -> Thread.ofPlatform().start(r));
        gone.complete(null);
        assertThatThrownBy(waiting::join).hasCauseInstanceOf(CancellationException.class);
    }

    @Test
    void anOomOfAKnownContainerBecomesAnEventAndOthersAreIgnored() throws Exception {
        createAndStart("c1");
        guest.oom("c1");
        guest.oom("someone-else");
        assertThat(events.stream().filter(TaskEvent.Oom.class::isInstance).map(e -> ((TaskEvent.Oom) e).containerId()))
                .containsExactly("c1");
    }

    @Test
    void pidsListTheVmmWhileTheContainerHasProcessesAndNoneAfter() throws Exception {
        createAndStart("c1");
        assertThat(tasks.pids("c1")).containsExactly(4242);
        guest.exit("c1", "", 0);
        awaitExit("c1", "");
        assertThat(tasks.pids("c1")).isEmpty();
    }

    @Test
    void aStoppedSandboxTakesNoNewContainer() throws Exception {
        createAndStart("c1");
        tasks.sandbox().stop(SOON);
        assertThat(awaitExit("c1", "").status()).isEqualTo(137);
        CreateTask r = request("c2");
        assertThat(codeOf(() -> tasks.create(r))).isEqualTo(Code.FAILED_PRECONDITION);
    }

    @Test
    void checkpointIsRefusedWhileExecsRunAndSavesOtherwise() throws Exception {
        createAndStart("c1");
        tasks.exec("c1", "e1", NO_STDIO, PROCESS);
        tasks.start("c1", "e1");
        assertThat(codeOf(() -> tasks.checkpoint("c1", dir.resolve("cp"), false)))
                .isEqualTo(Code.FAILED_PRECONDITION);
        guest.exit("c1", "e1", 0);
        awaitExit("c1", "e1");
        tasks.checkpoint("c1", dir.resolve("cp"), false);
        assertThat(sandbox.calls).endsWith("checkpoint c1", "resume");
        assertThat(events.getLast())
                .isEqualTo(new TaskEvent.Checkpointed("c1", dir.resolve("cp").toString()));
    }

    /** The old code left the VM paused after a failed save: the container stopped running for good. */
    @Test
    void aFailedCheckpointLeavesTheContainerRunningAndReportsWhy() throws Exception {
        createAndStart("c1");
        sandbox.checkpointFailure = TaskException.resourceExhausted("the checkpoint could not be written");

        assertThat(codeOf(() -> tasks.checkpoint("c1", dir.resolve("cp"), true)))
                .isEqualTo(Code.RESOURCE_EXHAUSTED);

        assertThat(sandbox.isPaused()).as("the VM after the failed checkpoint").isFalse();
        assertThat(sandbox.calls).endsWith("checkpoint c1", "resume");
        assertThat(tasks.state("c1", "").state()).isEqualTo(ProcessStatus.RUNNING);
        assertThat(guest.calls)
                .as("--exit kills only after a checkpoint that was written")
                .noneMatch(c -> c.startsWith("Signal"));
        assertThat(events).noneMatch(e -> e instanceof TaskEvent.Checkpointed);
    }

    @Test
    void aPausedCheckpointWithExitKillsTheContainerAfterResumingTheVm() throws Exception {
        createAndStart("c1");
        tasks.pause("c1");
        tasks.checkpoint("c1", dir.resolve("cp"), true);
        assertThat(sandbox.calls).endsWith("pause", "checkpoint c1", "resume");
        assertThat(awaitExit("c1", "").status()).isEqualTo(137);
    }

    /** runc's shim signals a paused (frozen) container; a paused VM's guest runs no code to deliver it. */
    @Test
    void aKillOfAPausedTaskIsDeliveredWithTheVmBrieflyRunningAndTheVmStaysPaused() throws Exception {
        createAndStart("c1");
        createAndStart("c2");
        tasks.exec("c1", "e1", NO_STDIO, PROCESS);
        tasks.start("c1", "e1");
        tasks.pause("c1");
        tasks.kill("c1", "e1", 9, false);
        assertThat(awaitExit("c1", "e1").status()).isEqualTo(137);
        tasks.kill("c1", "", 9, false);
        assertThat(awaitExit("c1", "").status()).isEqualTo(137);
        assertThat(sandbox.calls).endsWith("pause", "resume", "pause", "resume", "pause");
        assertThat(sandbox.isPaused()).isTrue();
        assertThat(tasks.state("c2", "").state()).isEqualTo(ProcessStatus.PAUSED);
        assertThat(tasks.state("c1", "").state()).isEqualTo(ProcessStatus.STOPPED);
        // Delete and Stats reach the guest too, the VM running for them (runc deletes a frozen container).
        int before = sandbox.calls.size();
        tasks.delete("c1", "e1");
        tasks.delete("c1", "");
        tasks.stats("c2");
        assertThat(sandbox.calls.subList(before, sandbox.calls.size()))
                .containsExactly("resume", "pause", "resume", "pause", "release c1", "resume", "pause");
        assertThat(sandbox.isPaused()).isTrue();
    }

    /** A create that timed out here may have finished in the guest: it is undone there, so a retry works. */
    @Test
    void aCreateThatTimesOutIsUndoneInTheGuestSoARetryWorks() throws Exception {
        guest.failNextAfterWork("CreateContainer", TaskException.deadlineExceeded("guest CreateContainer: too slow"));
        CreateTask r = request("c1");
        assertThat(codeOf(() -> tasks.create(r))).isEqualTo(Code.DEADLINE_EXCEEDED);
        assertThat(guest.calls).contains("DeleteContainer c1");
        assertThat(guest.exists("c1", "")).isFalse();
        assertThat(tasks.create(r)).isEqualTo(4242);
    }
}
