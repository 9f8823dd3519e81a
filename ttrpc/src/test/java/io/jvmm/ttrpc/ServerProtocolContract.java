package io.jvmm.ttrpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import com.google.protobuf.Int64Value;
import com.google.protobuf.Message;
import com.google.protobuf.StringValue;
import io.jvmm.ttrpc.proto.Request;
import io.jvmm.ttrpc.proto.Response;
import io.jvmm.ttrpc.testing.InteropService;
import io.jvmm.ttrpc.testing.RawConnection;
import io.jvmm.ttrpc.testing.RawConnection.RawFrame;
import io.jvmm.ttrpc.wire.WireLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server against a raw socket that sends what a broken or hostile client would. After every abuse
 * the same connection (where the reference keeps it) and a fresh one still get good answers. Run for
 * each server: the Netty one ({@link ServerProtocolTest}) and the plain one, which must answer alike.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class ServerProtocolContract {
    protected static final int REQUEST = 1;
    protected static final int RESPONSE = 2;
    protected static final int DATA = 3;

    @TempDir
    Path dir;

    /** A running server as the tests see it. */
    protected interface Served {
        int activeCalls();

        void shutdown(Duration grace);

        static Served of(IntSupplier activeCalls, Consumer<Duration> shutdown) {
            return new Served() {
                @Override
                public int activeCalls() {
                    return activeCalls.getAsInt();
                }

                @Override
                public void shutdown(Duration grace) {
                    shutdown.accept(grace);
                }
            };
        }
    }

    private Served server;
    private Path socket;

    /** Serves {@code service} (unary and server-streaming methods) on the unix socket {@code socket}. */
    protected abstract Served serve(Path socket, ServiceDefinition service) throws IOException;

    @BeforeEach
    void start() throws IOException {
        socket = dir.resolve("t.sock");
        server = serve(socket, InteropService.withoutRequestStreams());
    }

    @AfterEach
    void stop() {
        server.shutdown(Duration.ofSeconds(2));
    }

    protected Path socket() {
        return socket;
    }

    protected static byte[] request(String method, Message payload, long timeoutNano) {
        return Request.newBuilder()
                .setService(InteropService.NAME)
                .setMethod(method)
                .setPayload(payload.toByteString())
                .setTimeoutNano(timeoutNano)
                .build()
                .toByteArray();
    }

    private static byte[] echoRequest(String text) {
        return request("Echo", BytesValue.of(ByteString.copyFromUtf8(text)), 0);
    }

    protected static Response response(RawFrame frame) throws IOException {
        assertThat(frame.type()).isEqualTo(RESPONSE);
        return Response.parseFrom(frame.data());
    }

    private static void assertStatus(RawFrame frame, int streamId, Code code, String message) throws IOException {
        assertThat(frame.streamId()).isEqualTo(streamId);
        Response response = response(frame);
        assertThat(Code.fromValue(response.getStatus().getCode())).isEqualTo(code);
        assertThat(response.getStatus().getMessage()).isEqualTo(message);
    }

    private static void assertEchoWorks(RawConnection conn, int streamId, String text) throws IOException {
        conn.writeFrame(streamId, REQUEST, 0, echoRequest(text));
        RawFrame frame = conn.readFrame();
        assertThat(frame.streamId()).isEqualTo(streamId);
        Response response = response(frame);
        assertThat(response.getStatus().getCode()).isZero();
        assertThat(BytesValue.parseFrom(response.getPayload()).getValue().toStringUtf8())
                .isEqualTo(text);
    }

    private void assertFreshConnectionWorks() throws IOException {
        try (RawConnection fresh = RawConnection.open(socket)) {
            assertEchoWorks(fresh, 1, "fresh");
        }
    }

    @Test
    void socketIsOnlyForItsOwner() throws IOException {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)))
                .isEqualTo("rw-------");
    }

    @Test
    void okStatusIsSentAsAnEmptyStatusMessage() throws IOException {
        try (RawConnection conn = RawConnection.open(socket)) {
            conn.writeFrame(1, REQUEST, 0, echoRequest("x"));
            RawFrame frame = conn.readFrame();
            // 0a 00 = field 1 (status), length 0: exactly what the Go server sends for OK.
            assertThat(frame.data()[0]).isEqualTo((byte) 0x0a);
            assertThat(frame.data()[1]).isEqualTo((byte) 0x00);
        }
    }

    @Test
    void evenStreamIdIsRejectedAndTheConnectionKept() throws IOException {
        try (RawConnection conn = RawConnection.open(socket)) {
            conn.writeFrame(2, REQUEST, 0, echoRequest("x"));
            assertStatus(
                    conn.readFrame(), 2, Code.INVALID_ARGUMENT, "StreamID must be odd for client initiated streams");
            assertEchoWorks(conn, 3, "after even id");
        }
    }

    @Test
    void reusedOrDecreasingStreamIdIsRejected() throws IOException {
        try (RawConnection conn = RawConnection.open(socket)) {
            assertEchoWorks(conn, 5, "first");
            conn.writeFrame(5, REQUEST, 0, echoRequest("again"));
            assertStatus(conn.readFrame(), 5, Code.INVALID_ARGUMENT, "StreamID cannot be re-used and must increment");
            conn.writeFrame(3, REQUEST, 0, echoRequest("lower"));
            assertStatus(conn.readFrame(), 3, Code.INVALID_ARGUMENT, "StreamID cannot be re-used and must increment");
            assertEchoWorks(conn, 7, "after reuse");
        }
    }

    @Test
    void dataForAnUnknownStreamIsRejected() throws IOException {
        try (RawConnection conn = RawConnection.open(socket)) {
            conn.writeFrame(9, DATA, 0, new byte[] {1, 2});
            assertStatus(conn.readFrame(), 9, Code.INVALID_ARGUMENT, "StreamID is no longer active");
            assertEchoWorks(conn, 11, "after stray data");
        }
    }

    @Test
    void garbageRequestIsInvalidArgument() throws IOException {
        try (RawConnection conn = RawConnection.open(socket)) {
            conn.writeFrame(1, REQUEST, 0, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01});
            RawFrame frame = conn.readFrame();
            Response response = response(frame);
            assertThat(Code.fromValue(response.getStatus().getCode())).isEqualTo(Code.INVALID_ARGUMENT);
            assertThat(response.getStatus().getMessage()).startsWith("unmarshal request error:");
            assertEchoWorks(conn, 3, "after garbage");
        }
    }

    @Test
    void garbagePayloadForAMethodIsInvalidArgument() throws IOException {
        try (RawConnection conn = RawConnection.open(socket)) {
            byte[] req = Request.newBuilder()
                    .setService(InteropService.NAME)
                    .setMethod("Echo")
                    .setPayload(ByteString.copyFrom(new byte[] {0x0a, 0x7f}))
                    .build()
                    .toByteArray();
            conn.writeFrame(1, REQUEST, 0, req);
            RawFrame frame = conn.readFrame();
            Response response = response(frame);
            assertThat(Code.fromValue(response.getStatus().getCode())).isEqualTo(Code.INVALID_ARGUMENT);
            assertThat(response.getStatus().getMessage()).contains("unmarshalling payload");
            assertEchoWorks(conn, 3, "after bad payload");
        }
    }

    @Test
    void unknownServiceAndMethodAreUnimplemented() throws IOException {
        try (RawConnection conn = RawConnection.open(socket)) {
            conn.writeFrame(
                    1,
                    REQUEST,
                    0,
                    Request.newBuilder()
                            .setService("containerd.task.v3.Task")
                            .setMethod("Create")
                            .build()
                            .toByteArray());
            assertStatus(conn.readFrame(), 1, Code.UNIMPLEMENTED, "service containerd.task.v3.Task");
            conn.writeFrame(
                    3,
                    REQUEST,
                    0,
                    Request.newBuilder()
                            .setService(InteropService.NAME)
                            .setMethod("Nope")
                            .build()
                            .toByteArray());
            assertStatus(conn.readFrame(), 3, Code.UNIMPLEMENTED, "method Nope");
        }
    }

    @Test
    void unknownMessageTypesAndStrayResponsesAreIgnored() throws IOException {
        try (RawConnection conn = RawConnection.open(socket)) {
            conn.writeFrame(1, 0x09, 0, new byte[] {1, 2, 3});
            conn.writeFrame(3, RESPONSE, 0, new byte[] {0x0a, 0x00});
            assertEchoWorks(conn, 5, "after unknown types");
        }
    }

    @Test
    void oversizedFrameIsAnsweredWithResourceExhaustedAndTheConnectionKept() throws IOException {
        try (RawConnection conn = RawConnection.open(socket)) {
            int over = WireLimits.MAX_DATA_LENGTH + 1;
            conn.writeFrame(over, 1, REQUEST, 0, new byte[over]);
            assertStatus(
                    conn.readFrame(),
                    1,
                    Code.RESOURCE_EXHAUSTED,
                    "message length 4194305 exceed maximum message size of 4194304");
            assertEchoWorks(conn, 3, "after oversize");
        }
    }

    @Test
    void oversizedAnswerBecomesResourceExhausted() throws IOException {
        try (RawConnection conn = RawConnection.open(socket)) {
            conn.writeFrame(1, REQUEST, 0, request("Sized", Int64Value.of(WireLimits.MAX_DATA_LENGTH + 1), 0));
            RawFrame frame = conn.readFrame();
            Response response = response(frame);
            assertThat(Code.fromValue(response.getStatus().getCode())).isEqualTo(Code.RESOURCE_EXHAUSTED);
            assertThat(response.getStatus().getMessage()).contains("exceed maximum message size of 4194304");
            assertEchoWorks(conn, 3, "after oversize answer");
        }
    }

    @Test
    void serverEnforcesTheCallersTimeoutEvenIfTheHandlerIgnoresIt() throws IOException {
        try (RawConnection conn = RawConnection.open(socket)) {
            long start = System.nanoTime();
            conn.writeFrame(1, REQUEST, 0, request("Sleep", Int64Value.of(30_000), TimeUnit.MILLISECONDS.toNanos(200)));
            assertStatus(conn.readFrame(), 1, Code.DEADLINE_EXCEEDED, "context deadline exceeded");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
            assertEchoWorks(conn, 3, "after deadline");
        }
        // Well before the handler's 30 s: a call ends when its answer is written, just after the peer reads it.
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> server.activeCalls() == 0);
    }

    @Test
    void answersComeBackInCompletionOrderNotRequestOrder() throws IOException {
        try (RawConnection conn = RawConnection.open(socket)) {
            conn.writeFrame(1, REQUEST, 0, request("Sleep", Int64Value.of(1500), 0));
            conn.writeFrame(3, REQUEST, 0, echoRequest("fast"));
            assertThat(conn.readFrame().streamId()).isEqualTo(3);
            assertThat(conn.readFrame().streamId()).isEqualTo(1);
        }
    }

    @Test
    void truncatedHeaderThenCloseLeavesTheServerHealthy() throws IOException {
        try (RawConnection conn = RawConnection.open(socket)) {
            conn.writeRaw(new byte[] {0, 0, 0, 9, 0});
            conn.shutdownOutput();
        }
        assertFreshConnectionWorks();
    }

    @Test
    void peerVanishingMidFrameCancelsItsCallsAndLeavesTheServerHealthy() throws IOException {
        try (RawConnection conn = RawConnection.open(socket)) {
            conn.writeFrame(1, REQUEST, 0, request("Sleep", Int64Value.of(30_000), 0));
            byte[] partial = echoRequest("never finished");
            conn.writeFrame(partial.length + 100L, 3, REQUEST, 0, partial);
        }
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> server.activeCalls() == 0);
        assertFreshConnectionWorks();
    }

    @Test
    void aServerStreamSendsItsMessagesThenOneEmptyClosingDataFrame() throws IOException {
        try (RawConnection conn = RawConnection.open(socket)) {
            conn.writeFrame(1, REQUEST, 0, request("Count", Int64Value.of(3), 0));
            for (int i = 0; i < 3; i++) {
                RawFrame frame = conn.readFrame();
                assertThat(frame.type()).isEqualTo(DATA);
                assertThat(frame.flags()).isZero();
                assertThat(StringValue.parseFrom(frame.data()).getValue()).isEqualTo(Integer.toString(i));
            }
            RawFrame end = conn.readFrame();
            assertThat(end.type()).isEqualTo(DATA);
            assertThat(end.flags()).isEqualTo(0x01 | 0x04);
            assertThat(end.data()).isEmpty();
            assertEchoWorks(conn, 3, "after the stream");
        }
    }

    @Test
    void aServerStreamThatFailsEndsWithItsStatus() throws IOException {
        try (RawConnection conn = RawConnection.open(socket)) {
            conn.writeFrame(1, REQUEST, 0, request("FailAfter", Int64Value.of(1), 0));
            assertThat(conn.readFrame().type()).isEqualTo(DATA);
            assertStatus(conn.readFrame(), 1, Code.ABORTED, "failed after 1");
        }
    }

    @Test
    void dataForAUnaryCallInFlightIsRejected() throws IOException {
        try (RawConnection conn = RawConnection.open(socket)) {
            conn.writeFrame(1, REQUEST, 0, request("Sleep", Int64Value.of(1000), 0));
            conn.writeFrame(1, DATA, 0, new byte[] {1});
            assertStatus(
                    conn.readFrame(), 1, Code.INVALID_ARGUMENT, "data handling error: method does not stream requests");
            RawFrame answer = conn.readFrame();
            assertThat(answer.streamId()).isEqualTo(1);
            assertThat(response(answer).getStatus().getCode()).isZero();
        }
    }
}
