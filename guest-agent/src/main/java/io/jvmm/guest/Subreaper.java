package io.jvmm.guest;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The agent becoming the subreaper of everything it starts (orphaned descendants, such as a container's
 * init once crun exits, become its children, so it reaps them and reports their exits). That is the
 * agent's first system call, and the first one links FFM's downcall machinery: ~0.5 s of emulated work
 * under TCG, longer than the rest of {@code main}. It runs on a thread of its own while the agent sets up
 * (the guest has two vCPUs; every later system call waits for the linking in FFM's class initialisation),
 * and crun awaits the prctl itself before it runs, since a process started earlier would be orphaned to
 * init instead of to the agent.
 */
final class Subreaper {
    /** Something that may fail with an IOException, such as a system call. */
    @FunctionalInterface
    interface Call {
        void run() throws IOException;
    }

    private final CompletableFuture<Long> done = new CompletableFuture<>();

    private Subreaper() {}

    /** Starts {@code become} (the prctl) on a thread of its own. */
    static Subreaper start(Call become) {
        Subreaper subreaper = new Subreaper();
        long start = System.nanoTime();
        Thread.ofPlatform().name("agent-subreaper").daemon(true).start(() -> {
            try {
                become.run();
                subreaper.done.complete((System.nanoTime() - start) / 1_000_000);
            } catch (Throwable t) {
                subreaper.done.completeExceptionally(t);
            }
        });
        return subreaper;
    }

    /**
     * Waits until the agent is the subreaper; returns how long becoming it took, in ms. Throws if it
     * failed or did not happen within {@code timeout}.
     */
    long await(Duration timeout) throws IOException {
        try {
            return done.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new IOException("the agent could not become the subreaper of its containers: " + e.getCause(), e);
        } catch (TimeoutException e) {
            throw new IOException("the agent did not become the subreaper of its containers within " + timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while becoming the subreaper", e);
        }
    }
}
