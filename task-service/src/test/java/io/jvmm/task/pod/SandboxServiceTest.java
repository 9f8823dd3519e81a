package io.jvmm.task.pod;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jvmm.task.CreateTask;
import io.jvmm.task.FakeSandbox;
import io.jvmm.task.PodName;
import io.jvmm.task.SandboxObserver;
import io.jvmm.task.TaskException;
import io.jvmm.task.TaskService;
import io.jvmm.task.event.TaskEvent;
import io.jvmm.task.io.StdioConfig;
import io.jvmm.task.sandbox.PodResources;
import io.jvmm.ttrpc.Code;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The Sandbox service's state machine and refusals, without a VM (the boot itself is proved by the CRI
 * end-to-end test). A sandbox factory that fails stands in for a VM that cannot be made.
 */
class SandboxServiceTest {
    private static final String ID = "pod1";
    private final List<TaskEvent> events = new ArrayList<>();
    private final TaskService tasks = new TaskService(
            "k8s.io",
            () -> {
                throw new IOException("no VM here");
            },
            events::add);
    private final SandboxService sandbox = new SandboxService(ID, tasks);

    private static SandboxService.Pod pod(String id) {
        return new SandboxService.Pod(
                id, Path.of("/run/bundle/" + id), "/var/run/netns/cni-1", PodResources.NONE, "pod1");
    }

    private static Code codeOf(Runnable call) {
        try {
            call.run();
        } catch (TaskException e) {
            return e.statusCode();
        }
        throw new AssertionError("the call was accepted");
    }

    @Test
    void everyCallBeforeCreateAnswersNotFound() {
        assertThat(codeOf(() -> sandbox.start(ID))).isEqualTo(Code.NOT_FOUND);
        assertThat(codeOf(() -> sandbox.ping(ID))).isEqualTo(Code.NOT_FOUND);
        assertThat(codeOf(() -> sandbox.status(ID, true))).isEqualTo(Code.NOT_FOUND);
        assertThat(codeOf(() -> sandbox.stop(ID, Optional.empty()))).isEqualTo(Code.NOT_FOUND);
        assertThat(codeOf(() -> sandbox.shutdown(ID))).isEqualTo(Code.NOT_FOUND);
        assertThat(sandbox.holdsShim()).isFalse();
    }

    @Test
    void aShimServesOnlyItsOwnSandbox() {
        assertThat(codeOf(() -> sandbox.create(pod("other")))).isEqualTo(Code.INVALID_ARGUMENT);
        sandbox.create(pod(ID));
        assertThat(codeOf(() -> sandbox.ping("other"))).isEqualTo(Code.NOT_FOUND);
        assertThat(codeOf(() -> sandbox.create(pod(ID)))).isEqualTo(Code.ALREADY_EXISTS);
    }

    /** Its watcher (the shim's metrics) learns which pod the sandbox runs once, when it is made. */
    @Test
    void createTellsTheObserverThePodsNameOnce() {
        List<PodName> told = new ArrayList<>();
        SandboxService watched = new SandboxService(ID, tasks, new SandboxObserver() {
            @Override
            public void podCreated(PodName pod) {
                told.add(pod);
            }
        });
        SandboxService.Pod pod = new SandboxService.Pod(
                ID,
                Path.of("/run/bundle/" + ID),
                "",
                PodResources.NONE,
                "web-0",
                Map.of(),
                new PodName("web-0", "shop"));
        assertThat(codeOf(() -> watched.create(pod("other")))).isEqualTo(Code.INVALID_ARGUMENT);
        watched.create(pod);
        assertThat(codeOf(() -> watched.create(pod))).isEqualTo(Code.ALREADY_EXISTS);
        assertThat(told).containsExactly(new PodName("web-0", "shop"));
    }

    @Test
    void createdSandboxReportsNotReadyAndHoldsTheShim() {
        sandbox.create(pod(ID));
        SandboxService.View v = sandbox.status(ID, true);
        assertThat(v.state()).isEqualTo(SandboxState.CREATED);
        assertThat(v.state().criName()).isEqualTo("SANDBOX_NOTREADY");
        assertThat(v.info()).containsEntry("netns", "/var/run/netns/cni-1").containsEntry("bundle", "/run/bundle/pod1");
        assertThat(v.exit()).isEmpty();
        assertThat(sandbox.holdsShim()).isTrue();
        assertThat(codeOf(() -> sandbox.metrics(ID))).isEqualTo(Code.FAILED_PRECONDITION);
    }

    @Test
    void stopBeforeStartEndsTheWaitAndRefusesAStart() {
        sandbox.create(pod(ID));
        sandbox.stop(ID, Optional.of(Duration.ofSeconds(1)));
        assertThat(sandbox.await(ID, Optional.of(Duration.ofSeconds(5)), new CompletableFuture<>())
                        .status())
                .isZero();
        assertThat(sandbox.status(ID, false).state()).isEqualTo(SandboxState.STOPPED);
        assertThat(codeOf(() -> sandbox.start(ID))).isEqualTo(Code.FAILED_PRECONDITION);
        sandbox.stop(ID, Optional.empty()); // idempotent
        sandbox.shutdown(ID);
        assertThat(sandbox.holdsShim()).isFalse();
        sandbox.shutdown(ID); // idempotent
    }

    @Test
    void aVmThatCannotBeMadeFailsTheStartAndStopsTheSandbox() {
        sandbox.create(pod(ID));
        assertThatThrownBy(() -> sandbox.start(ID)).hasMessageContaining("no VM here");
        assertThat(sandbox.status(ID, false).state()).isEqualTo(SandboxState.STOPPED);
        assertThat(sandbox.await(ID, Optional.of(Duration.ofSeconds(5)), new CompletableFuture<>())
                        .status())
                .isEqualTo(255);
    }

    @Test
    void waitEndsAtItsDeadlineOrWhenTheCallerGoes() {
        sandbox.create(pod(ID));
        assertThat(codeOf(() -> sandbox.await(ID, Optional.of(Duration.ofMillis(100)), new CompletableFuture<>())))
                .isEqualTo(Code.DEADLINE_EXCEEDED);
        assertThatThrownBy(() -> sandbox.await(ID, Optional.empty(), CompletableFuture.completedFuture(null)))
                .isInstanceOf(CancellationException.class);
    }

    @Test
    void containersCannotBeCreatedInAStoppedSandbox() {
        sandbox.create(pod(ID));
        sandbox.stop(ID, Optional.of(Duration.ofSeconds(1)));
        assertThat(codeOf(() -> tasks.create(new CreateTask(
                        "c1", Path.of("/nonexistent"), List.of(), new StdioConfig("", "", "", false), ""))))
                .isEqualTo(Code.FAILED_PRECONDITION);
        assertThat(events).isEmpty();
    }

    @Test
    void statusAndPingAnswerWhileTheVmBoots() throws Exception {
        FakeSandbox vm = new FakeSandbox();
        vm.bootGate = new CountDownLatch(1);
        TaskService slowTasks = new TaskService("k8s.io", () -> vm, events::add);
        SandboxService slow = new SandboxService(ID, slowTasks);
        slow.create(new SandboxService.Pod(ID, Path.of("/run/bundle/" + ID), "", PodResources.NONE, "pod1"));
        Executor threads = r -> Thread.ofPlatform().start(r); // the common pool may have one worker
        CompletableFuture<SandboxService.Started> starting =
                CompletableFuture.supplyAsync(() -> slow.start(ID), threads);
        try {
            Thread.sleep(200);
            assertThat(starting).isNotDone();
            CompletableFuture<SandboxService.View> status =
                    CompletableFuture.supplyAsync(() -> slow.status(ID, true), threads);
            assertThat(status.get(2, TimeUnit.SECONDS).state()).isEqualTo(SandboxState.CREATED);
            CompletableFuture.runAsync(() -> slow.ping(ID), threads).get(2, TimeUnit.SECONDS);
            assertThat(codeOf(() -> slow.start(ID))).isEqualTo(Code.FAILED_PRECONDITION);
        } finally {
            vm.bootGate.countDown();
        }
        assertThat(starting.get(5, TimeUnit.SECONDS).pid()).isEqualTo(4242);
        assertThat(slow.status(ID, false).state()).isEqualTo(SandboxState.READY);
        slow.shutdown(ID);
    }
}
