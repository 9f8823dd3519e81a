package io.jvmm.vmm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Stops a VM gently first and harder only when needed: each step is tried, then the VM gets a bounded
 * time to exit before the next step. The outcome of every step is logged and returned.
 */
public final class ShutdownLadder {
    private static final Logger LOG = LogManager.getLogger(ShutdownLadder.class);

    /** One rung: an action that asks the VM to stop, and how long to give it. */
    public record Step(String name, Action action, Duration exitWait) {}

    @FunctionalInterface
    public interface Action {
        void run() throws Exception;
    }

    /** What happened at one step: tried (or failed to), and whether the VM had exited after it. */
    public record Outcome(String step, boolean actionSucceeded, boolean exitedAfter, String detail) {
        /** {@code exited} (the VM stopped after it), {@code continued} (it did not), or {@code action_failed}. */
        public String result() {
            return exitedAfter ? "exited" : actionSucceeded ? "continued" : "action_failed";
        }
    }

    private ShutdownLadder() {}

    /** The standard ladder: agent, then power button, then SIGTERM, then SIGKILL. */
    public static List<Step> standard(
            VirtualMachine vm, Action askAgent, Duration agentWait, Duration buttonWait, Duration termWait) {
        return List.of(
                new Step("agent", askAgent, agentWait),
                new Step("power-button", () -> vm.pressPowerButton(Duration.ofSeconds(2)), buttonWait),
                new Step("sigterm", vm::terminateMonitor, termWait),
                new Step("sigkill", vm::close, Duration.ofSeconds(5)));
    }

    /** Runs the ladder until the VM has exited; answers each step's outcome, in order. */
    public static List<Outcome> run(VirtualMachine vm, List<Step> steps) {
        return run(vm.exitFuture(), steps);
    }

    /**
     * The ladder against the VM's end: each step gets its wait in all, its action included, so a step whose
     * action blocks (an agent that never answers its PowerOff) cannot outlast the time the caller gave the
     * whole ladder: the action is left to finish on its own and the next step begins.
     */
    static List<Outcome> run(CompletableFuture<?> exit, List<Step> steps) {
        List<Outcome> outcomes = new ArrayList<>();
        for (Step step : steps) {
            if (exit.isDone()) {
                break;
            }
            long deadline = System.nanoTime() + step.exitWait().toNanos();
            CompletableFuture<Void> action = new CompletableFuture<>();
            Thread.ofVirtual().name("shutdown-" + step.name()).start(() -> {
                try {
                    step.action().run();
                    action.complete(null);
                } catch (Exception e) {
                    action.completeExceptionally(e);
                }
            });
            boolean ok = true;
            String detail = "";
            try {
                CompletableFuture.anyOf(action, exit).get(step.exitWait().toNanos(), TimeUnit.NANOSECONDS);
                if (action.isCompletedExceptionally()) {
                    action.join();
                }
            } catch (TimeoutException e) {
                ok = false;
                detail = "no answer within " + step.exitWait().toMillis() + " ms";
            } catch (CompletionException | ExecutionException e) {
                ok = !action.isCompletedExceptionally();
                Throwable cause = e.getCause() == null ? e : e.getCause();
                detail = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ok = false;
                detail = "interrupted";
            }
            boolean exited = awaitExit(exit, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            Outcome outcome = new Outcome(step.name(), ok, exited, detail);
            LOG.info(
                    "shutdown step {}: action {}, VM {}{}",
                    step.name(),
                    ok ? "done" : "failed",
                    exited ? "exited" : "still running",
                    detail.isEmpty() ? "" : " (" + detail + ")");
            outcomes.add(outcome);
            if (exited) {
                break;
            }
        }
        return outcomes;
    }

    private static boolean awaitExit(CompletableFuture<?> exit, Duration wait) {
        try {
            exit.get(Math.max(1, wait.toMillis()), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return exit.isDone();
        }
    }
}
