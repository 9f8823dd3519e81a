package io.jvmm.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jvmm.vmm.VmException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The QMP client against a scripted monitor on a unix socket: the answers real QEMU gives (greeting,
 * capabilities, returns, errors, events between replies), and the faults QEMU cannot be made to produce
 * on demand (a reply that never comes, a connection that drops mid-command, a return that is no object).
 */
class QmpClientTest {
    private static final Duration CALL = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private ScriptedMonitor monitor;
    private List<String> received = List.of();

    @AfterEach
    void stop() throws Exception {
        if (monitor != null) {
            monitor.close();
        }
    }

    /** A monitor that greets, accepts capabilities and answers every other line with {@code answer}. */
    private Path monitor(Function<String, List<String>> answer) throws IOException {
        monitor = new ScriptedMonitor(dir.resolve("qmp.sock"), answer);
        received = monitor.received;
        return monitor.socket;
    }

    @Test
    void repliesAreMatchedByIdWhileEventsStreamIn() throws Exception {
        Path socket = monitor(line -> List.of(
                "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"STOP\"}",
                "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 3}, \"event\": \"SHUTDOWN\", \"data\": {\"guest\": true, \"reason\": \"guest-shutdown\"}}",
                "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}, \"id\": $ID}"));
        List<QmpClient.QmpEvent> events = new CopyOnWriteArrayList<>();
        try (QmpClient qmp = QmpClient.connect(socket, CALL)) {
            qmp.onEvent(events::add);
            var status = qmp.execute("query-status", Map.of("x", List.of(1, true)), CALL);
            assertThat(status.text("status")).isEqualTo("running");
            assertThat(status.get("running")).isEqualTo(true);
        }
        assertThat(received.get(1)).isEqualTo("{\"execute\":\"query-status\",\"id\":2,\"arguments\":{\"x\":[1,true]}}");
        assertThat(events).extracting(QmpClient.QmpEvent::name).containsExactly("STOP", "SHUTDOWN");
        assertThat(events.get(0).data()).isEmpty();
        assertThat(events.get(1).data().get("guest")).isEqualTo(true);
    }

    @Test
    void aQmpErrorNamesItsClassAndDescription() throws Exception {
        Path socket = monitor(
                line -> List.of(
                        "{\"id\": $ID, \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command bogus has not been found\"}}"));
        try (QmpClient qmp = QmpClient.connect(socket, CALL)) {
            assertThatThrownBy(() -> qmp.execute("bogus", null, CALL))
                    .isInstanceOf(VmException.MonitorError.class)
                    .hasMessage("QMP bogus failed: CommandNotFound: The command bogus has not been found");
        }
    }

    @Test
    void aReturnThatIsNoObjectIsAnErrorNotAnEmptyAnswer() throws Exception {
        Path socket = monitor(line -> List.of("{\"return\": [{\"cpu-index\": 0}], \"id\": $ID}"));
        try (QmpClient qmp = QmpClient.connect(socket, CALL)) {
            assertThatThrownBy(() -> qmp.execute("query-cpus-fast", null, CALL))
                    .isInstanceOf(VmException.MonitorError.class)
                    .hasMessage("QMP query-cpus-fast returned [{\"cpu-index\":0}], not an object");
        }
    }

    @Test
    void aReplyThatNeverComesIsATimeoutAndTheConnectionStaysUsable() throws Exception {
        Path socket = monitor(line -> line.contains("slow") ? List.of() : List.of("{\"return\": {}, \"id\": $ID}"));
        try (QmpClient qmp = QmpClient.connect(socket, CALL)) {
            assertThatThrownBy(() -> qmp.execute("slow", null, Duration.ofMillis(200)))
                    .isInstanceOf(VmException.Timeout.class)
                    .hasMessageContaining("QMP slow");
            assertThat(qmp.execute("cont", null, CALL)).isEmpty();
        }
    }

    @Test
    void aMonitorThatHangsUpFailsThePendingCommandAndEveryLaterOne() throws Exception {
        Path socket = monitor(line -> null);
        try (QmpClient qmp = QmpClient.connect(socket, CALL)) {
            assertThatThrownBy(() -> qmp.execute("quit", null, CALL))
                    .isInstanceOf(VmException.MonitorError.class)
                    .hasMessageContaining("QMP connection closed");
            qmp.closedFuture().get(5, TimeUnit.SECONDS);
            assertThatThrownBy(() -> qmp.execute("cont", null, CALL))
                    .isInstanceOf(VmException.MonitorError.class)
                    .hasMessageContaining("QMP connection is closed");
        }
    }

    /** QEMU is driven by the guest: a line past the limit is not buffered, it ends the connection. */
    @Test
    void aLineLongerThanTheLimitEndsTheConnection() throws Exception {
        String flood = "{\"event\": \"X\", \"data\": {\"junk\": \"" + "a".repeat(QmpClient.MAX_LINE) + "\"}}";
        Path socket = monitor(line -> List.of(flood, "{\"return\": {}, \"id\": $ID}"));
        try (QmpClient qmp = QmpClient.connect(socket, CALL)) {
            assertThatThrownBy(() -> qmp.execute("cont", null, CALL))
                    .isInstanceOf(VmException.MonitorError.class)
                    .hasMessageContaining("QMP connection closed");
            qmp.closedFuture().get(5, TimeUnit.SECONDS);
        }
    }
}
