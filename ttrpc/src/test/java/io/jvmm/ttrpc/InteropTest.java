package io.jvmm.ttrpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.BytesValue;
import com.google.protobuf.Int64Value;
import io.jvmm.ttrpc.testing.ClientScenarios;
import io.jvmm.ttrpc.testing.GoPeer;
import io.jvmm.ttrpc.testing.InteropService;
import io.jvmm.ttrpc.wire.WireLimits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Interop with the reference implementation: the Go containerd/ttrpc package from Debian, in both
 * directions, plus the same scenarios Java to Java.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class InteropTest {
    @TempDir
    Path dir;

    static Stream<Arguments> scenariosAndDispatch() {
        return Arrays.stream(ClientScenarios.values())
                .flatMap(s -> Stream.of(Arguments.of(s, false), Arguments.of(s, true)));
    }

    @ParameterizedTest(name = "java client -> java server (Echo on the event loop: {1}): {0}")
    @MethodSource("scenariosAndDispatch")
    void javaClientToJavaServer(ClientScenarios scenario, boolean nonBlockingEcho) throws Exception {
        Path socket = dir.resolve("java.sock");
        try (TtrpcServer server = TtrpcServer.builder()
                        .addService(InteropService.definition(nonBlockingEcho))
                        .bind(socket);
                TtrpcClient client = TtrpcClient.connect(socket)) {
            scenario.run(client);
            assertThat(client.pendingCalls()).isZero();
        }
    }

    @ParameterizedTest(name = "java client -> go server: {0}")
    @EnumSource(ClientScenarios.class)
    void javaClientToGoServer(ClientScenarios scenario) throws Exception {
        Path socket = dir.resolve("go.sock");
        try (GoPeer.Server server = GoPeer.server(socket);
                TtrpcClient client = TtrpcClient.connect(socket)) {
            scenario.run(client);
            assertThat(client.pendingCalls()).isZero();
        }
    }

    static Stream<String> goScenarios() {
        return Stream.concat(
                Arrays.stream(ClientScenarios.values()).map(ClientScenarios::goName), Stream.of("oversize-reply"));
    }

    @ParameterizedTest(name = "go client -> java server: {0}")
    @MethodSource("goScenarios")
    void goClientToJavaServer(String scenario) throws Exception {
        Path socket = dir.resolve("java.sock");
        try (TtrpcServer server =
                TtrpcServer.builder().addService(InteropService.definition()).bind(socket)) {
            GoPeer.Result result = GoPeer.client(socket, scenario);
            assertThat(result.exitCode())
                    .as("go client failed: %s", result.stderr())
                    .isZero();
            assertThat(result.stdout()).contains("ok " + scenario);
        }
    }

    /** Where jvmm deliberately differs: Go's server drops the connection when its answer is too large. */
    @Test
    void oversizeAnswerFromGoClosesTheConnectionWhileJavaKeepsIt() throws Exception {
        Path goSocket = dir.resolve("go.sock");
        try (GoPeer.Server server = GoPeer.server(goSocket);
                TtrpcClient client = TtrpcClient.connect(goSocket)) {
            TtrpcException e = Assertions.assertThrows(
                    TtrpcException.class,
                    () -> client.unary(
                            InteropService.NAME,
                            "Sized",
                            Int64Value.of(WireLimits.MAX_DATA_LENGTH + 1),
                            BytesValue.parser(),
                            CallOptions.withTimeout(Duration.ofSeconds(20))));
            assertThat(e.code()).isEqualTo(Code.UNAVAILABLE);
        }
        Path javaSocket = dir.resolve("java.sock");
        try (TtrpcServer server = TtrpcServer.builder()
                        .addService(InteropService.definition())
                        .bind(javaSocket);
                TtrpcClient client = TtrpcClient.connect(javaSocket)) {
            TtrpcException e = Assertions.assertThrows(
                    TtrpcException.class,
                    () -> client.unary(
                            InteropService.NAME,
                            "Sized",
                            Int64Value.of(WireLimits.MAX_DATA_LENGTH + 1),
                            BytesValue.parser()));
            assertThat(e.code()).isEqualTo(Code.RESOURCE_EXHAUSTED);
            assertThat(client.isOpen()).isTrue();
        }
    }
}
