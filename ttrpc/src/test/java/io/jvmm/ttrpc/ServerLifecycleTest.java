package io.jvmm.ttrpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import com.google.protobuf.Int64Value;
import com.google.protobuf.StringValue;
import io.jvmm.ttrpc.interop.InteropProto;
import io.jvmm.ttrpc.testing.InteropService;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ServerLifecycleTest {
    @TempDir
    Path dir;

    private static final String SVC = "jvmm.test.Lifecycle";

    @Test
    void gracefulShutdownLetsCallsInFlightFinishAndRefusesNewOnes() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ServiceDefinition service = ServiceDefinition.builder(SVC)
                .unary("Slow", StringValue.parser(), (ctx, req) -> {
                    started.countDown();
                    release.await();
                    return StringValue.of("finished " + req.getValue());
                })
                .unary("Fast", StringValue.parser(), (ctx, req) -> req)
                .build();
        Path socket = dir.resolve("s.sock");
        TtrpcServer server = TtrpcServer.builder().addService(service).bind(socket);
        try (TtrpcClient client = TtrpcClient.connect(socket)) {
            CompletableFuture<StringValue> slow =
                    client.unaryAsync(SVC, "Slow", StringValue.of("a"), StringValue.parser(), CallOptions.DEFAULT);
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Boolean> shutdown =
                    CompletableFuture.supplyAsync(() -> server.shutdown(Duration.ofSeconds(20)));
            await().atMost(Duration.ofSeconds(5)).until(() -> !Files.exists(socket) || isDraining(client));
            assertThatThrownBy(() -> client.unary(SVC, "Fast", StringValue.of("b"), StringValue.parser()))
                    .isInstanceOfSatisfying(
                            TtrpcException.class, e -> assertThat(e.code()).isEqualTo(Code.UNAVAILABLE));
            release.countDown();
            assertThat(slow.get(10, TimeUnit.SECONDS).getValue()).isEqualTo("finished a");
            assertThat(shutdown.get(20, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(socket).doesNotExist();
    }

    private static boolean isDraining(TtrpcClient client) {
        try {
            client.unary(SVC, "Fast", StringValue.of("probe"), StringValue.parser());
            return false;
        } catch (TtrpcException e) {
            return e.code() == Code.UNAVAILABLE;
        }
    }

    @Test
    void shutdownCancelsCallsThatOutliveTheGracePeriod() throws Exception {
        AtomicBoolean cancelSeen = new AtomicBoolean();
        CountDownLatch started = new CountDownLatch(1);
        ServiceDefinition service = ServiceDefinition.builder(SVC)
                .unary("Forever", StringValue.parser(), (ctx, req) -> {
                    ctx.onCancel(() -> cancelSeen.set(true));
                    started.countDown();
                    Thread.sleep(60_000);
                    return req;
                })
                .build();
        Path socket = dir.resolve("s.sock");
        TtrpcServer server = TtrpcServer.builder().addService(service).bind(socket);
        try (TtrpcClient client = TtrpcClient.connect(socket)) {
            CompletableFuture<StringValue> call =
                    client.unaryAsync(SVC, "Forever", StringValue.of("x"), StringValue.parser(), CallOptions.DEFAULT);
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(server.shutdown(Duration.ofMillis(200))).isFalse();
            assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(TtrpcException.class)
                    .cause()
                    .satisfies(e -> assertThat(((TtrpcException) e).code()).isIn(Code.UNAVAILABLE));
            assertThat(cancelSeen).isTrue();
            assertThat(server.activeCalls()).isZero();
        }
    }

    @Test
    void pendingCallsFailWithUnavailableWhenTheServerGoesAway() throws Exception {
        Path socket = dir.resolve("s.sock");
        TtrpcServer server =
                TtrpcServer.builder().addService(InteropService.definition()).bind(socket);
        TtrpcClient client = TtrpcClient.connect(socket);
        try {
            CompletableFuture<Int64Value> sleeping = client.unaryAsync(
                    InteropService.NAME, "Sleep", Int64Value.of(30_000), Int64Value.parser(), CallOptions.DEFAULT);
            ClientCall<StringValue, StringValue> chat = client.stream(
                    InteropService.NAME,
                    "Chat",
                    MethodKind.BIDI_STREAMING,
                    null,
                    StringValue.parser(),
                    CallOptions.DEFAULT);
            chat.send(StringValue.of("hi"));
            assertThat(chat.receive()).contains(StringValue.of("echo:hi"));
            server.shutdown(Duration.ZERO);
            assertThatThrownBy(() -> sleeping.get(10, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOfSatisfying(
                            TtrpcException.class, e -> assertThat(e.code()).isEqualTo(Code.UNAVAILABLE));
            assertThatThrownBy(chat::receive)
                    .isInstanceOfSatisfying(
                            TtrpcException.class, e -> assertThat(e.code()).isEqualTo(Code.UNAVAILABLE));
            await().atMost(Duration.ofSeconds(5)).until(() -> !client.isOpen());
            assertThatThrownBy(() -> client.unary(
                            InteropService.NAME, "Echo", BytesValue.getDefaultInstance(), BytesValue.parser()))
                    .isInstanceOfSatisfying(
                            TtrpcException.class, e -> assertThat(e.code()).isEqualTo(Code.UNAVAILABLE));
            assertThat(client.pendingCalls()).isZero();
        } finally {
            client.close();
        }
    }

    @Test
    void clientGoneCancelsItsCallsOnTheServer() throws Exception {
        CountDownLatch cancelled = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        ServiceDefinition service = ServiceDefinition.builder(SVC)
                .unary("Wait", StringValue.parser(), (ctx, req) -> {
                    ctx.onCancel(cancelled::countDown);
                    started.countDown();
                    Thread.sleep(60_000);
                    return req;
                })
                .build();
        try (TtrpcServer server = TtrpcServer.builder().addService(service).bind(dir.resolve("s.sock"))) {
            TtrpcClient client = TtrpcClient.connect(server.socketPath());
            client.unaryAsync(SVC, "Wait", StringValue.of("x"), StringValue.parser(), CallOptions.DEFAULT);
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
            client.close();
            assertThat(cancelled.await(10, TimeUnit.SECONDS)).isTrue();
            await().atMost(Duration.ofSeconds(5)).until(() -> server.activeCalls() == 0);
        }
    }

    @Test
    void aSlowReaderOfALargeStreamGetsEveryByteInOrder() throws Exception {
        int chunks = 400;
        ByteString chunk = ByteString.copyFrom(new byte[256 * 1024]);
        ServiceDefinition service = ServiceDefinition.builder(SVC)
                .serverStreaming("Flood", Int64Value.parser(), (ctx, req, out) -> {
                    for (int i = 0; i < req.getValue(); i++) {
                        out.send(BytesValue.of(chunk));
                    }
                })
                .build();
        try (TtrpcServer server = TtrpcServer.builder().addService(service).bind(dir.resolve("s.sock"));
                TtrpcClient client = TtrpcClient.connect(server.socketPath())) {
            ClientCall<Int64Value, BytesValue> call = client.stream(
                    SVC,
                    "Flood",
                    MethodKind.SERVER_STREAMING,
                    Int64Value.of(chunks),
                    BytesValue.parser(),
                    CallOptions.DEFAULT);
            long total = 0;
            int received = 0;
            for (var msg = call.receive(); msg.isPresent(); msg = call.receive()) {
                total += msg.get().getValue().size();
                if (++received % 50 == 0) {
                    Thread.sleep(50); // a slow consumer: the server is held back by back-pressure
                }
            }
            assertThat(received).isEqualTo(chunks);
            assertThat(total).isEqualTo((long) chunks * chunk.size());
        }
    }

    @Test
    void descriptorRegistrationRejectsMismatches() {
        var descriptor = InteropProto.getDescriptor().findServiceByName("Echo");
        assertThatThrownBy(() -> ServiceDefinition.builder(descriptor)
                        .unary("Echo", BytesValue.parser(), (ctx, req) -> req)
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has no handler");
        ServiceDefinition full = InteropService.definition();
        ServiceDefinition.Builder wrongKind = ServiceDefinition.builder(descriptor);
        full.methods().values().stream().filter(m -> !m.name().equals("Count")).forEach(wrongKind::add);
        wrongKind.unary("Count", Int64Value.parser(), (ctx, req) -> StringValue.of("x"));
        assertThatThrownBy(wrongKind::build).hasMessageContaining("is SERVER_STREAMING but its handler is UNARY");
        ServiceDefinition.Builder wrongType = ServiceDefinition.builder(descriptor);
        full.methods().values().stream().filter(m -> !m.name().equals("Echo")).forEach(wrongType::add);
        wrongType.unary("Echo", StringValue.parser(), (ctx, req) -> req);
        assertThatThrownBy(wrongType::build)
                .hasMessageContaining(
                        "takes google.protobuf.BytesValue but its parser makes google.protobuf.StringValue");
        ServiceDefinition.Builder extra = ServiceDefinition.builder(descriptor);
        full.methods().values().forEach(extra::add);
        extra.unary("Bogus", StringValue.parser(), (ctx, req) -> req);
        assertThatThrownBy(extra::build).hasMessageContaining("declares no method Bogus");
    }

    @Test
    void aSecondServerOnALiveSocketIsRefusedAndAStaleSocketIsReplaced() throws Exception {
        Path socket = dir.resolve("s.sock");
        try (TtrpcServer first =
                TtrpcServer.builder().addService(InteropService.definition()).bind(socket)) {
            assertThatThrownBy(() -> TtrpcServer.builder()
                            .addService(InteropService.definition())
                            .bind(socket))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("address already in use");
        }
        Files.createFile(socket); // a leftover file where nobody listens
        try (TtrpcServer second = TtrpcServer.builder()
                        .addService(InteropService.definition())
                        .bind(socket);
                TtrpcClient client = TtrpcClient.connect(socket)) {
            assertThat(client.unary(
                                    InteropService.NAME,
                                    "Echo",
                                    BytesValue.of(ByteString.copyFromUtf8("x")),
                                    BytesValue.parser())
                            .getValue()
                            .toStringUtf8())
                    .isEqualTo("x");
        }
    }

    @Test
    void handlerSeesDeadlineAndMetadata() throws Exception {
        ServiceDefinition service = ServiceDefinition.builder(SVC)
                .unary(
                        "Inspect",
                        StringValue.parser(),
                        (ctx, req) -> StringValue.of(ctx.service() + "/" + ctx.method()
                                + " ns="
                                + ctx.metadata()
                                        .get(Metadata.CONTAINERD_NAMESPACE)
                                        .orElse("-")
                                + " deadline="
                                + ctx.timeRemaining()
                                        .map(d -> d.toMillis() > 0 && d.toMillis() <= 5000)
                                        .orElse(false)))
                .build();
        try (TtrpcServer server = TtrpcServer.builder().addService(service).bind(dir.resolve("s.sock"));
                TtrpcClient client = TtrpcClient.connect(server.socketPath())) {
            String answer = client.unary(
                            SVC,
                            "Inspect",
                            StringValue.of(""),
                            StringValue.parser(),
                            CallOptions.withTimeout(Duration.ofSeconds(5))
                                    .metadata(Metadata.CONTAINERD_NAMESPACE, "k8s.io"))
                    .getValue();
            assertThat(answer).isEqualTo(SVC + "/Inspect ns=k8s.io deadline=true");
        }
    }

    @Test
    void nonBlockingHandlersRunOnTheIoThreadAndOthersDoNot() throws Exception {
        ServiceDefinition service = ServiceDefinition.builder(SVC)
                .unaryNonBlocking(
                        "Inline",
                        StringValue.parser(),
                        (ctx, req) -> StringValue.of(Thread.currentThread().getName()))
                .unary(
                        "Worker",
                        StringValue.parser(),
                        (ctx, req) -> StringValue.of(Thread.currentThread().getName()))
                .build();
        try (TtrpcServer server = TtrpcServer.builder().addService(service).bind(dir.resolve("s.sock"));
                TtrpcClient client = TtrpcClient.connect(server.socketPath())) {
            assertThat(client.unary(SVC, "Inline", StringValue.of(""), StringValue.parser())
                            .getValue())
                    .startsWith("ttrpc-io");
            assertThat(client.unary(SVC, "Worker", StringValue.of(""), StringValue.parser())
                            .getValue())
                    .startsWith("ttrpc-call-");
        }
        assertThatThrownBy(() -> new MethodDefinition<>(
                        "S",
                        StringValue.parser(),
                        (MethodHandler.ServerStreaming<StringValue, StringValue>) (ctx, req, out) -> {},
                        Dispatch.EVENT_LOOP))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("only unary handlers");
    }

    @Test
    void connectingToNothingFailsClearly() {
        assertThatThrownBy(() -> TtrpcClient.connect(dir.resolve("absent.sock"), Duration.ofSeconds(2)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("absent.sock");
    }
}
