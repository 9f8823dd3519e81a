package io.jvmm.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * StopSandbox gives the ladder a timeout, and each step a share of it: a step whose action blocks (an
 * agent that never answers PowerOff, which the old ladder waited out for the agent call's own 60 s) must
 * not outlast its share.
 */
class ShutdownLadderTest {
    @Test
    void aStepWhoseActionNeverReturnsEndsAtItsShareAndTheNextStepRuns() {
        CompletableFuture<String> exit = new CompletableFuture<>();
        CountDownLatch never = new CountDownLatch(1);
        long begin = System.nanoTime();
        List<ShutdownLadder.Outcome> outcomes = ShutdownLadder.run(
                exit,
                List.of(
                        new ShutdownLadder.Step("agent", never::await, Duration.ofMillis(300)),
                        new ShutdownLadder.Step("sigkill", () -> exit.complete("killed"), Duration.ofSeconds(5))));
        Duration took = Duration.ofNanos(System.nanoTime() - begin);
        assertThat(outcomes).extracting(ShutdownLadder.Outcome::result).containsExactly("action_failed", "exited");
        assertThat(outcomes.getFirst().detail()).isEqualTo("no answer within 300 ms");
        assertThat(took).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void aFailingActionIsReportedAndAVmThatExitsDuringAStepEndsTheLadder() {
        CompletableFuture<String> exit = new CompletableFuture<>();
        List<ShutdownLadder.Outcome> outcomes = ShutdownLadder.run(
                exit,
                List.of(
                        new ShutdownLadder.Step(
                                "agent",
                                () -> {
                                    throw new IllegalStateException("no agent connection");
                                },
                                Duration.ofMillis(200)),
                        new ShutdownLadder.Step("power-button", () -> exit.complete("off"), Duration.ofSeconds(5)),
                        new ShutdownLadder.Step(
                                "sigkill",
                                () -> {
                                    throw new AssertionError("not reached");
                                },
                                Duration.ofSeconds(5))));
        assertThat(outcomes).extracting(ShutdownLadder.Outcome::result).containsExactly("action_failed", "exited");
        assertThat(outcomes.getFirst().detail()).isEqualTo("no agent connection");
    }
}
