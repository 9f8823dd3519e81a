package io.jvmm.task.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Host tools run under the lifecycle lock, so their time limit must hold whatever the tool does: the old
 * HostCommand read the output to its end before waiting with a limit, so a tool that hung (or left a child
 * holding its output) held the shim for good.
 */
class HostCommandTest {
    @Test
    void aToolThatHangsIsKilledAtItsLimit() {
        long begin = System.nanoTime();
        assertThatThrownBy(() -> HostCommand.run(List.of("sleep", "60"), null, Duration.ofSeconds(1)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("sleep 60 timed out after 1 s");
        assertThat(Duration.ofNanos(System.nanoTime() - begin)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void aToolThatHangsWhileItWritesIsKilledAtItsLimitWithWhatItSaid() {
        assertThatThrownBy(() -> HostCommand.run(
                        List.of("sh", "-c", "echo mounting; exec sleep 60"), null, Duration.ofSeconds(1)))
                .hasMessageContaining("timed out")
                .hasMessageContaining("mounting");
    }

    @Test
    void aChildLeftHoldingTheOutputDoesNotHoldTheCaller() throws Exception {
        long begin = System.nanoTime();
        String out = HostCommand.run(List.of("sh", "-c", "sleep 30 & echo $!"), null, Duration.ofSeconds(20));
        try {
            assertThat(Duration.ofNanos(System.nanoTime() - begin)).isLessThan(Duration.ofSeconds(10));
            assertThat(out).matches("[0-9]+");
        } finally {
            ProcessHandle.of(Long.parseLong(out.strip())).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void failuresQuoteTheOutputAndToleratedOnesPass() throws Exception {
        assertThatThrownBy(() -> HostCommand.run(List.of("sh", "-c", "echo no such device >&2; exit 32"), null))
                .hasMessageContaining("failed (exit 32): no such device");
        assertThat(HostCommand.run(List.of("sh", "-c", "echo not mounted; exit 32"), "not mounted"))
                .isEqualTo("not mounted");
    }

    @Test
    void outputIsBounded() throws Exception {
        String out = HostCommand.run(List.of("sh", "-c", "head -c 10000000 /dev/zero | tr '\\\\0' x"), null);
        assertThat(out.length()).isLessThanOrEqualTo(HostCommand.MAX_OUTPUT + 64);
        assertThat(out).endsWith("(output cut)");
    }
}
