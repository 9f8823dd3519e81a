package io.jvmm.task;

import io.jvmm.ttrpc.Code;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.ThreadContext;

/**
 * Work that must end whole even when its caller gives up. containerd gives a call up at its deadline (5 s
 * for a Delete during its clean-up) or by going away, and the shim's ttrpc server then interrupts the
 * handler's thread; a guest call failed by that interrupt would leave a container half removed or half
 * made: known to the shim and its VM, forgotten by containerd. So the work runs on a thread of its own and
 * the caller only waits for it: an interrupted caller answers CANCELLED at once, and the work goes on to its
 * end, which each of its steps bounds (the agent's and the monitor's call deadlines).
 */
final class ToCompletion {
    private static final Logger LOG = LogManager.getLogger(ToCompletion.class);

    private ToCompletion() {}

    /**
     * Runs {@code work} and answers its result; if the caller is interrupted first, {@code givenUp} runs
     * (on the caller's thread) and the work goes on alone.
     */
    static <T> T call(String name, Supplier<T> work, Runnable givenUp) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Map<String, String> logContext = ThreadContext.getContext(); // the container the work is about
        Thread.ofVirtual().name(name).start(() -> {
            ThreadContext.putAll(logContext);
            try {
                result.complete(work.get());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            givenUp.run();
            LOG.info("{}: its caller gave up; it goes on to its end", name);
            throw TaskException.of(Code.CANCELLED, name + ": given up by its caller; it goes on to its end", e);
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case RuntimeException r -> throw r;
                case Error err -> throw err;
                default -> throw new IllegalStateException(e.getCause());
            }
        }
    }
}
