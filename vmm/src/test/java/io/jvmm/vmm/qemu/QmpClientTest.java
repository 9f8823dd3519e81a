package io.jvmm.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jvmm.vmm.VmException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
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

    private Thread monitor;
    private ServerSocketChannel listener;
    private final List<String> received = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws Exception {
        if (listener != null) {
            listener.close();
        }
        if (monitor != null) {
            monitor.interrupt();
            monitor.join(5000);
            assertThat(monitor.isAlive()).isFalse();
        }
    }

    /** A monitor that greets, accepts capabilities and answers every other line with {@code answer}. */
    private Path monitor(Function<String, List<String>> answer) throws IOException {
        Path socket = dir.resolve("qmp.sock");
        listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(socket));
        monitor = Thread.ofPlatform().daemon(true).start(() -> {
            try (SocketChannel ch = listener.accept();
                    BufferedReader in = new BufferedReader(
                            new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8))) {
                OutputStream out = Channels.newOutputStream(ch);
                send(
                        out,
                        "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 19, \"minor\": 2, \"major\": 7}}, \"capabilities\": [\"oob\"]}}");
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    received.add(line);
                    List<String> replies = line.contains("qmp_capabilities")
                            ? List.of("{\"return\": {}, \"id\": " + id(line) + "}")
                            : answer.apply(line);
                    if (replies == null) {
                        return; // hang up
                    }
                    for (String reply : replies) {
                        send(out, reply.replace("$ID", id(line)));
                    }
                }
            } catch (IOException e) {
                // the client went away
            }
        });
        return socket;
    }

    private static String id(String line) {
        return line.replaceAll(".*\"id\":(\\d+).*", "$1");
    }

    private static void send(OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
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
