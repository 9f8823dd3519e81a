package io.jvmm.ttrpc.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import com.google.protobuf.Int64Value;
import com.google.protobuf.StringValue;
import io.jvmm.ttrpc.CallOptions;
import io.jvmm.ttrpc.ClientCall;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.Metadata;
import io.jvmm.ttrpc.MethodKind;
import io.jvmm.ttrpc.TtrpcClient;
import io.jvmm.ttrpc.TtrpcException;
import io.jvmm.ttrpc.proto.Request;
import io.jvmm.ttrpc.wire.WireLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * What the Java client checks against a server of the interop service, Java's or Go's. The same
 * names as the Go peer's client scenarios, so both directions cover the same ground.
 */
public enum ClientScenarios {
    UNARY(c -> echo(c, ByteString.copyFromUtf8("hello from java"))),
    PAYLOAD_EMPTY(c -> echo(c, ByteString.EMPTY)),
    PAYLOAD_1MIB(c -> echo(c, pattern(1 << 20))),
    PAYLOAD_MAX(c -> echo(c, pattern(largestEcho()))),
    PAYLOAD_OVER(c -> {
        assertThatThrownBy(() -> echo(c, pattern(WireLimits.MAX_DATA_LENGTH + 1)))
                .isInstanceOfSatisfying(
                        TtrpcException.class, e -> assertThat(e.code()).isEqualTo(Code.RESOURCE_EXHAUSTED));
        echo(c, ByteString.copyFromUtf8("still connected"));
    }),
    CONCURRENT(c -> {
        List<CompletableFuture<BytesValue>> calls = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            calls.add(c.unaryAsync(
                    InteropService.NAME,
                    "Echo",
                    BytesValue.of(ByteString.copyFromUtf8("caller-" + i + "x".repeat(i * 1000))),
                    BytesValue.parser(),
                    CallOptions.DEFAULT));
        }
        for (int i = 0; i < 64; i++) {
            assertThat(calls.get(i).join().getValue().toStringUtf8()).isEqualTo("caller-" + i + "x".repeat(i * 1000));
        }
    }),
    METADATA(c -> {
        CallOptions options = CallOptions.DEFAULT.metadata(Metadata.builder()
                .add(Metadata.CONTAINERD_NAMESPACE, "default")
                .add("multi", "a")
                .add("multi", "b")
                .build());
        assertThat(metadata(c, options, Metadata.CONTAINERD_NAMESPACE)).isEqualTo("default");
        assertThat(metadata(c, options, "multi")).isEqualTo("a,b");
        assertThat(metadata(c, options, "absent")).isEmpty();
    }),
    ERROR_STATUS(c -> {
        for (Code code :
                List.of(Code.NOT_FOUND, Code.FAILED_PRECONDITION, Code.ALREADY_EXISTS, Code.INVALID_ARGUMENT)) {
            assertThatThrownBy(() -> c.unary(
                            InteropService.NAME,
                            "Fail",
                            StringValue.of(code.value() + ":no such thing: c1"),
                            StringValue.parser()))
                    .isInstanceOfSatisfying(TtrpcException.class, e -> {
                        assertThat(e.code()).isEqualTo(code);
                        assertThat(e.status().message()).isEqualTo("no such thing: c1");
                    });
        }
    }),
    UNKNOWN_SERVICE(c -> assertThatThrownBy(
                    () -> c.unary("containerd.task.v9.Task", "Create", StringValue.of("x"), StringValue.parser()))
            .isInstanceOfSatisfying(TtrpcException.class, e -> {
                assertThat(e.code()).isEqualTo(Code.UNIMPLEMENTED);
                assertThat(e.status().message()).isEqualTo("service containerd.task.v9.Task");
            })),
    UNKNOWN_METHOD(c -> assertThatThrownBy(
                    () -> c.unary(InteropService.NAME, "NoSuchMethod", StringValue.of("x"), StringValue.parser()))
            .isInstanceOfSatisfying(TtrpcException.class, e -> {
                assertThat(e.code()).isEqualTo(Code.UNIMPLEMENTED);
                assertThat(e.status().message()).isEqualTo("method NoSuchMethod");
            })),
    DEADLINE(c -> {
        long start = System.nanoTime();
        assertThatThrownBy(() -> c.unary(
                        InteropService.NAME,
                        "Sleep",
                        Int64Value.of(10_000),
                        Int64Value.parser(),
                        CallOptions.withTimeout(Duration.ofMillis(300))))
                .isInstanceOfSatisfying(
                        TtrpcException.class, e -> assertThat(e.code()).isEqualTo(Code.DEADLINE_EXCEEDED));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        echo(c, ByteString.copyFromUtf8("after deadline"));
    }),
    SERVER_STREAMING(c -> {
        ClientCall<Int64Value, StringValue> call = c.stream(
                InteropService.NAME,
                "Count",
                MethodKind.SERVER_STREAMING,
                Int64Value.of(100),
                StringValue.parser(),
                CallOptions.withTimeout(Duration.ofSeconds(30)));
        for (int i = 0; i < 100; i++) {
            assertThat(call.receive()).contains(StringValue.of(Integer.toString(i)));
        }
        assertThat(call.receive()).isEmpty();
    }),
    STREAM_ERROR(c -> {
        ClientCall<Int64Value, StringValue> call = c.stream(
                InteropService.NAME,
                "FailAfter",
                MethodKind.SERVER_STREAMING,
                Int64Value.of(2),
                StringValue.parser(),
                CallOptions.DEFAULT);
        assertThat(call.receive()).contains(StringValue.of("0"));
        assertThat(call.receive()).contains(StringValue.of("1"));
        assertThatThrownBy(call::receive).isInstanceOfSatisfying(TtrpcException.class, e -> {
            assertThat(e.code()).isEqualTo(Code.ABORTED);
            assertThat(e.status().message()).isEqualTo("failed after 2");
        });
    }),
    CLIENT_STREAMING(c -> {
        ClientCall<StringValue, StringValue> call = c.stream(
                InteropService.NAME,
                "Concat",
                MethodKind.CLIENT_STREAMING,
                null,
                StringValue.parser(),
                CallOptions.withTimeout(Duration.ofSeconds(30)));
        StringBuilder want = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            call.send(StringValue.of(i + ","));
            want.append(i).append(',');
        }
        assertThat(call.finish().getValue()).isEqualTo(want.toString());
    }),
    BIDI_STREAMING(c -> {
        ClientCall<StringValue, StringValue> call = c.stream(
                InteropService.NAME,
                "Chat",
                MethodKind.BIDI_STREAMING,
                null,
                StringValue.parser(),
                CallOptions.withTimeout(Duration.ofSeconds(30)));
        for (int i = 0; i < 50; i++) {
            call.send(StringValue.of(Integer.toString(i)));
            assertThat(call.receive()).contains(StringValue.of("echo:" + i));
        }
        call.closeSend();
        assertThat(call.receive()).isEmpty();
    });

    private final Scenario scenario;

    ClientScenarios(Scenario scenario) {
        this.scenario = scenario;
    }

    public void run(TtrpcClient client) throws Exception {
        scenario.run(client);
    }

    /** The Go peer's name for this scenario. */
    public String goName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    @FunctionalInterface
    interface Scenario {
        void run(TtrpcClient client) throws Exception;
    }

    public static ByteString pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + i / 251);
        }
        return ByteString.copyFrom(b);
    }

    /** The Echo payload whose Request frame is exactly the 4 MiB limit (no timeout, no metadata). */
    public static int largestEcho() {
        int n = WireLimits.MAX_DATA_LENGTH;
        while (true) {
            ByteString inner = BytesValue.of(ByteString.copyFrom(new byte[n])).toByteString();
            int size = Request.newBuilder()
                    .setService(InteropService.NAME)
                    .setMethod("Echo")
                    .setPayload(inner)
                    .build()
                    .getSerializedSize();
            if (size <= WireLimits.MAX_DATA_LENGTH) {
                return n;
            }
            n -= size - WireLimits.MAX_DATA_LENGTH;
        }
    }

    static void echo(TtrpcClient c, ByteString data) {
        BytesValue reply = c.unary(InteropService.NAME, "Echo", BytesValue.of(data), BytesValue.parser());
        assertThat(reply.getValue().size()).isEqualTo(data.size());
        assertThat(reply.getValue()).isEqualTo(data);
    }

    static String metadata(TtrpcClient c, CallOptions options, String key) {
        return c.unary(InteropService.NAME, "Metadata", StringValue.of(key), StringValue.parser(), options)
                .getValue();
    }
}
