package io.jvmm.ttrpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.StringValue;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Every call a server ends reaches its observer once, with the status the client saw, over the real wire. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CallObserverTest {
    private static final String SVC = "jvmm.test.Observed";

    @TempDir
    Path dir;

    record Ended(String service, String method, Code code, long nanos) {}

    @Test
    void answersErrorsMissedDeadlinesAndAFailingObserverAreAllSeenOrSurvived() throws Exception {
        List<Ended> ended = new CopyOnWriteArrayList<>();
        ServiceDefinition service = ServiceDefinition.builder(SVC)
                .unary("Echo", StringValue.parser(), (ctx, req) -> {
                    Thread.sleep(20);
                    return req;
                })
                .unary("Refuse", StringValue.parser(), (ctx, req) -> {
                    throw new TtrpcException(Code.FAILED_PRECONDITION, "no");
                })
                .unary("Hang", StringValue.parser(), (ctx, req) -> {
                    Thread.sleep(30_000);
                    return req;
                })
                .build();
        CallObserver observer = (s, m, c, n) -> {
            ended.add(new Ended(s, m, c, n));
            if (m.equals("Refuse")) {
                throw new IllegalStateException("a broken observer");
            }
        };
        Path socket = dir.resolve("o.sock");
        try (TtrpcServer server = TtrpcServer.builder()
                        .addService(service)
                        .observer(observer)
                        .bind(socket);
                TtrpcClient client = TtrpcClient.connect(socket)) {
            assertThat(client.unary(SVC, "Echo", StringValue.of("a"), StringValue.parser())
                            .getValue())
                    .isEqualTo("a");
            assertThatThrownBy(() -> client.unary(SVC, "Refuse", StringValue.of("b"), StringValue.parser()))
                    .isInstanceOfSatisfying(
                            TtrpcException.class, e -> assertThat(e.code()).isEqualTo(Code.FAILED_PRECONDITION));
            // The observer threw on Refuse: the server answers the next call all the same.
            assertThat(client.unary(SVC, "Echo", StringValue.of("c"), StringValue.parser())
                            .getValue())
                    .isEqualTo("c");
            assertThatThrownBy(() -> client.unary(
                            SVC,
                            "Hang",
                            StringValue.of("d"),
                            StringValue.parser(),
                            CallOptions.withTimeout(Duration.ofMillis(300))))
                    .isInstanceOfSatisfying(
                            TtrpcException.class, e -> assertThat(e.code()).isEqualTo(Code.DEADLINE_EXCEEDED));
            await().atMost(Duration.ofSeconds(10)).until(() -> ended.size() == 4);
        }
        assertThat(ended)
                .extracting(Ended::method, Ended::code)
                .containsExactly(
                        tuple("Echo", Code.OK),
                        tuple("Refuse", Code.FAILED_PRECONDITION),
                        tuple("Echo", Code.OK),
                        tuple("Hang", Code.DEADLINE_EXCEEDED));
        assertThat(ended).allSatisfy(e -> assertThat(e.service()).isEqualTo(SVC));
        assertThat(ended.getFirst().nanos()).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(20));
    }

    /** {@link CallObserver#ended} gets the request's metadata (a trace context travels there) and its start. */
    @Test
    void theEndedCallCarriesTheRequestsMetadataAndWhenItArrived() throws Exception {
        List<EndedCall> ended = new CopyOnWriteArrayList<>();
        List<String> plain = new CopyOnWriteArrayList<>();
        CallObserver recording = new CallObserver() {
            @Override
            public void callEnded(String service, String method, Code code, long nanos) {
                plain.add(method);
            }

            @Override
            public void ended(EndedCall call) {
                ended.add(call);
            }
        };
        CallObserver counting = (s, m, c, n) -> plain.add("counted " + m);
        ServiceDefinition service = ServiceDefinition.builder(SVC)
                .unary("Echo", StringValue.parser(), (ctx, req) -> req)
                .build();
        Path socket = dir.resolve("m.sock");
        Instant before = Instant.now();
        try (TtrpcServer server = TtrpcServer.builder()
                        .addService(service)
                        .observer(CallObserver.both(counting, recording))
                        .bind(socket);
                TtrpcClient client = TtrpcClient.connect(socket)) {
            client.unary(
                    SVC,
                    "Echo",
                    StringValue.of("a"),
                    StringValue.parser(),
                    CallOptions.DEFAULT.metadata(
                            "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
            await().atMost(Duration.ofSeconds(10)).until(() -> ended.size() == 1 && plain.size() == 1);
        }
        EndedCall call = ended.getFirst();
        assertThat(call.service()).isEqualTo(SVC);
        assertThat(call.method()).isEqualTo("Echo");
        assertThat(call.code()).isEqualTo(Code.OK);
        assertThat(call.metadata().get("traceparent"))
                .contains("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        assertThat(call.start()).isBetween(before, Instant.now());
        // The first observer is told through its default ended(), which is its callEnded.
        assertThat(plain).containsExactly("counted Echo");
    }

    /**
     * {@link CallObserver#handling} runs on the handler's thread before the handler; its scope is open while
     * the handler runs, closed on that thread after, and comes back in the ended call (each composed
     * observer its own).
     */
    @Test
    void theHandlersScopeIsOpenWhileItRunsAndComesBackWithTheEndedCall() throws Exception {
        record Seen(String method, Thread thread) implements CallObserver.Scope {
            static final List<String> closed = new CopyOnWriteArrayList<>();

            @Override
            public void close() {
                closed.add(method + (Thread.currentThread() == thread ? " on the handler's thread" : " elsewhere"));
            }
        }
        ThreadLocal<Seen> current = new ThreadLocal<>();
        List<String> seenByHandler = new CopyOnWriteArrayList<>();
        List<EndedCall> ended = new CopyOnWriteArrayList<>();
        CallObserver scoping = new CallObserver() {
            @Override
            public void callEnded(String service, String method, Code code, long nanos) {}

            @Override
            public Scope handling(StartedCall call) {
                Seen seen = new Seen(call.method(), Thread.currentThread());
                current.set(seen);
                return seen;
            }

            @Override
            public void ended(EndedCall call) {
                ended.add(call);
            }
        };
        ServiceDefinition service = ServiceDefinition.builder(SVC)
                .unary("Echo", StringValue.parser(), (ctx, req) -> {
                    seenByHandler.add(
                            current.get() == null ? "none" : current.get().method());
                    return req;
                })
                .build();
        Path socket = dir.resolve("h.sock");
        try (TtrpcServer server = TtrpcServer.builder()
                        .addService(service)
                        .observer(CallObserver.both((s, m, c, n) -> {}, scoping))
                        .bind(socket);
                TtrpcClient client = TtrpcClient.connect(socket)) {
            client.unary(SVC, "Echo", StringValue.of("a"), StringValue.parser());
            await().atMost(Duration.ofSeconds(10)).until(() -> ended.size() == 1 && Seen.closed.size() == 1);
        }
        assertThat(seenByHandler).containsExactly("Echo");
        assertThat(Seen.closed).containsExactly("Echo on the handler's thread");
        assertThat(ended.getFirst().scope())
                .isInstanceOfSatisfying(Seen.class, s -> assertThat(s.method()).isEqualTo("Echo"));
    }
}
