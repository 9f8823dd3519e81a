package io.jvmm.ttrpc.plain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import com.google.protobuf.Int64Value;
import com.google.protobuf.StringValue;
import io.jvmm.sys.UnixListener;
import io.jvmm.ttrpc.CallOptions;
import io.jvmm.ttrpc.ClientCall;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.Metadata;
import io.jvmm.ttrpc.MethodKind;
import io.jvmm.ttrpc.ServiceDefinition;
import io.jvmm.ttrpc.TtrpcClient;
import io.jvmm.ttrpc.TtrpcException;
import io.jvmm.ttrpc.testing.InteropService;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The plain server with the host's real client (Netty's) on the other end of a unix socket. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PlainServerTest {
    private static final String ECHO = InteropService.NAME;

    @TempDir
    Path dir;

    private PlainServer serve(ServiceDefinition service) throws IOException {
        return PlainServer.serve(UnixListener.bind(dir.resolve("p.sock"), 16), "test", List.of(service));
    }

    @Test
    void servesUnaryCallsWithTheirMetadataAndErrors() throws IOException {
        try (PlainServer server = serve(InteropService.withoutRequestStreams());
                TtrpcClient client = TtrpcClient.connect(dir.resolve("p.sock"))) {
            BytesValue echoed =
                    client.unary(ECHO, "Echo", BytesValue.of(ByteString.copyFromUtf8("hi")), BytesValue.parser());
            assertThat(echoed.getValue().toStringUtf8()).isEqualTo("hi");
            StringValue seen = client.unary(
                    ECHO,
                    "Metadata",
                    StringValue.of("k"),
                    StringValue.parser(),
                    CallOptions.DEFAULT.metadata(Metadata.of("k", "v")));
            assertThat(seen.getValue()).isEqualTo("v");
            assertThatThrownBy(
                            () -> client.unary(ECHO, "Fail", StringValue.of("5:no such thing"), StringValue.parser()))
                    .isInstanceOfSatisfying(TtrpcException.class, e -> {
                        assertThat(e.code()).isEqualTo(Code.NOT_FOUND);
                        assertThat(e.status().message()).isEqualTo("no such thing");
                    });
        }
    }

    @Test
    void servesAServerStream() throws Exception {
        try (PlainServer server = serve(InteropService.withoutRequestStreams());
                TtrpcClient client = TtrpcClient.connect(dir.resolve("p.sock"))) {
            ClientCall<Int64Value, StringValue> call = client.stream(
                    ECHO,
                    "Count",
                    MethodKind.SERVER_STREAMING,
                    Int64Value.of(5),
                    StringValue.parser(),
                    CallOptions.DEFAULT);
            for (int i = 0; i < 5; i++) {
                assertThat(call.receive()).hasValue(StringValue.of(Integer.toString(i)));
            }
            assertThat(call.receive()).isEmpty();
        }
    }

    @Test
    void aStreamWhoseClientGoesAwayIsCancelledAndItsListenersRun() throws Exception {
        CountDownLatch cancelled = new CountDownLatch(1);
        CountDownLatch streaming = new CountDownLatch(1);
        ServiceDefinition events = ServiceDefinition.builder(ECHO)
                .<Int64Value, StringValue>serverStreaming("Count", Int64Value.parser(), (ctx, req, out) -> {
                    ctx.onCancel(cancelled::countDown);
                    out.send(StringValue.of("first"));
                    streaming.countDown();
                    new CountDownLatch(1).await(); // until interrupted by the cancel
                })
                .build();
        try (PlainServer server = serve(events)) {
            TtrpcClient client = TtrpcClient.connect(dir.resolve("p.sock"));
            ClientCall<Int64Value, StringValue> call = client.stream(
                    ECHO,
                    "Count",
                    MethodKind.SERVER_STREAMING,
                    Int64Value.of(1),
                    StringValue.parser(),
                    CallOptions.DEFAULT);
            assertThat(call.receive()).hasValue(StringValue.of("first"));
            assertThat(streaming.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(server.activeCalls()).isEqualTo(1);
            client.close();
            assertThat(cancelled.await(10, TimeUnit.SECONDS)).isTrue();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> server.activeCalls() == 0);
        }
    }

    @Test
    void shutdownLetsCallsInFlightFinishAndRefusesNewOnes() throws Exception {
        PlainServer server = serve(InteropService.withoutRequestStreams());
        try (TtrpcClient client = TtrpcClient.connect(dir.resolve("p.sock"))) {
            CompletableFuture<Int64Value> slow =
                    client.unaryAsync(ECHO, "Sleep", Int64Value.of(700), Int64Value.parser(), CallOptions.DEFAULT);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> server.activeCalls() == 1);
            CompletableFuture<Boolean> clean =
                    CompletableFuture.supplyAsync(() -> server.shutdown(Duration.ofSeconds(10)));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(server::draining);
            assertThatThrownBy(() -> client.unary(
                            ECHO, "Echo", BytesValue.of(ByteString.copyFromUtf8("late")), BytesValue.parser()))
                    .isInstanceOfSatisfying(
                            TtrpcException.class, e -> assertThat(e.code()).isEqualTo(Code.UNAVAILABLE));
            assertThat(slow.get(10, TimeUnit.SECONDS).getValue()).isEqualTo(700);
            assertThat(clean.get(10, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(dir.resolve("p.sock")).doesNotExist();
    }

    @Test
    void shutdownCancelsWhatOutlivesTheGraceWithUnavailable() throws Exception {
        PlainServer server = serve(InteropService.withoutRequestStreams());
        try (TtrpcClient client = TtrpcClient.connect(dir.resolve("p.sock"))) {
            CompletableFuture<Int64Value> stuck =
                    client.unaryAsync(ECHO, "Sleep", Int64Value.of(60_000), Int64Value.parser(), CallOptions.DEFAULT);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> server.activeCalls() == 1);
            assertThat(server.shutdown(Duration.ofMillis(100))).isFalse();
            assertThatThrownBy(() -> stuck.get(10, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOfSatisfying(TtrpcException.class, e -> {
                        assertThat(e.code()).isEqualTo(Code.UNAVAILABLE);
                        assertThat(e.status().message()).isEqualTo("ttrpc: server closed");
                    });
        }
    }

    @Test
    void servicesWithMethodsThatStreamRequestsAreRefused() throws IOException {
        UnixListener listener = UnixListener.bind(dir.resolve("refused.sock"), 1);
        try {
            assertThatThrownBy(() -> PlainServer.serve(listener, "test", List.of(InteropService.definition())))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("streams requests");
        } finally {
            listener.close();
        }
    }

    @Test
    void shutdownEndsEveryThreadTheServerStarted() throws Exception {
        PlainServer server = serve(InteropService.withoutRequestStreams());
        try (TtrpcClient client = TtrpcClient.connect(dir.resolve("p.sock"))) {
            client.unary(
                    ECHO,
                    "Sleep",
                    Int64Value.of(1),
                    Int64Value.parser(),
                    CallOptions.withTimeout(Duration.ofSeconds(10)));
            assertThat(serverThreads()).isNotEmpty();
            server.shutdown(Duration.ofSeconds(5));
        }
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .until(() -> serverThreads().isEmpty());
    }

    private static List<String> serverThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(n -> n.equals("ttrpc-accept test")
                        || n.equals("ttrpc-connection")
                        || n.equals("ttrpc-call")
                        || n.equals("ttrpc-deadlines"))
                .toList();
    }
}
