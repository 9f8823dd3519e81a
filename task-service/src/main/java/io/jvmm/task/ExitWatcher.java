package io.jvmm.task;

import io.jvmm.task.event.EventSink;
import io.jvmm.task.event.TaskEvent;
import io.jvmm.task.guest.GuestAgent;
import io.jvmm.task.process.Container;
import io.jvmm.task.process.ExecProcess;
import io.jvmm.task.process.ExitStatus;
import io.jvmm.task.process.ProcessStatus;
import io.jvmm.task.process.TaskProcess;
import io.jvmm.ttrpc.Code;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Sees every started process to its end: one thread per process waits for its exit in the guest, lets its
 * output drain, and reports the exit exactly once (an init only after its execs). A guest that cannot
 * answer any more (its VM stopped, its agent gone) gets the process reported killed.
 */
final class ExitWatcher {
    private static final Logger LOG = LogManager.getLogger(ExitWatcher.class);
    private static final Duration WAIT_SLICE = Duration.ofMinutes(10);
    private static final Duration WAIT_RETRY_FLOOR = Duration.ofSeconds(1);
    private static final Duration OUTPUT_DRAIN = Duration.ofSeconds(30);
    private static final Duration EXECS_AFTER_INIT = Duration.ofSeconds(10);

    private final Supplier<GuestAgent> agent;
    private final EventSink events;
    private final Consumer<String> agentLost;

    /**
     * @param agent the running VM's agent, or a failure once there is none
     * @param agentLost told why, when a wait fails because the agent's connection broke
     */
    ExitWatcher(Supplier<GuestAgent> agent, EventSink events, Consumer<String> agentLost) {
        this.agent = agent;
        this.events = events;
        this.agentLost = agentLost;
    }

    void watch(Container c, TaskProcess p) {
        Thread.ofPlatform().daemon(true).name("exit-" + p.eventId()).start(() -> {
            ExitStatus status = awaitGuestExit(p);
            p.io().ifPresent(io -> {
                if (!io.awaitOutput(OUTPUT_DRAIN)) {
                    LOG.warn("output of {} not drained within {}", p.eventId(), OUTPUT_DRAIN);
                }
            });
            if (p.isInit()) {
                for (ExecProcess exec : c.execs()) {
                    if (exec.status() == ProcessStatus.RUNNING || exec.status() == ProcessStatus.PAUSED) {
                        awaitQuietly(exec.exitFuture(), EXECS_AFTER_INIT);
                    }
                }
            }
            report(p, status);
        });
    }

    /** Publishes the exit, then records it (so Wait returns only what was already published); once per process. */
    void report(TaskProcess p, ExitStatus status) {
        p.reportExit(
                status,
                s -> events.publish(
                        new TaskEvent.Exited(p.containerId(), p.eventId(), p.pid(), s.status(), s.exitedAt())));
    }

    private ExitStatus awaitGuestExit(TaskProcess p) {
        while (true) {
            long asked = System.nanoTime();
            try {
                return agent.get().waitProcess(p.containerId(), p.execId(), WAIT_SLICE);
            } catch (TaskException e) {
                if (e.statusCode() == Code.UNAVAILABLE) {
                    agentLost.accept(e.getMessage());
                }
                if (e.statusCode() != Code.DEADLINE_EXCEEDED) {
                    LOG.warn("waiting for {} failed ({}): reporting it killed", p.eventId(), e.getMessage());
                    return ExitStatus.killedNow();
                }
                // A deadline the guest claims long before ours: it answers at once, and asking again at once
                // would spin. Ask again at most once a second.
                long early = WAIT_RETRY_FLOOR.toNanos() - (System.nanoTime() - asked);
                if (early > 0) {
                    LockSupport.parkNanos(early);
                }
            } catch (RuntimeException e) {
                LOG.warn("lost the guest while waiting for {} ({}): reporting it killed", p.eventId(), e.getMessage());
                return ExitStatus.killedNow();
            }
        }
    }

    static void awaitQuietly(CompletableFuture<?> f, Duration timeout) {
        try {
            f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // the caller decides what a missing exit means
        }
    }
}
