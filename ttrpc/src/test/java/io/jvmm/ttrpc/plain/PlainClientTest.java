package io.jvmm.ttrpc.plain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import com.google.protobuf.Int64Value;
import com.google.protobuf.StringValue;
import io.jvmm.sys.FdAcceptor;
import io.jvmm.sys.Libc;
import io.jvmm.sys.VsockStream;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.TtrpcException;
import io.jvmm.ttrpc.TtrpcServer;
import io.jvmm.ttrpc.testing.InteropService;
import io.jvmm.ttrpc.wire.WireLimits;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The plain client against the Netty server, and against a peer that never answers. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PlainClientTest {
    private static final String ECHO = InteropService.NAME;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** Hands out one end of a socket pair once, then blocks until closed, as a listener would. */
    private static final class OneConnection implements FdAcceptor {
        private final int fd;
        private final CountDownLatch closed = new CountDownLatch(1);
        private boolean given;

        OneConnection(int fd) {
            this.fd = fd;
        }

        @Override
        public synchronized int accept() throws IOException {
            if (!given) {
                given = true;
                return fd;
            }
            try {
                closed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("closed");
        }

        @Override
        public void close() {
            closed.countDown();
        }
    }

    @Test
    void callsTheNettyServer() throws IOException {
        int[] pair = Libc.socketPair();
        try (TtrpcServer server = TtrpcServer.builder()
                        .addService(InteropService.definition())
                        .serve(new OneConnection(pair[0]), "a socket pair");
                PlainClient client = PlainClient.over(new VsockStream(pair[1]))) {
            BytesValue echoed = client.unary(
                    ECHO, "Echo", BytesValue.of(ByteString.copyFromUtf8("plain")), BytesValue.parser(), TIMEOUT);
            assertThat(echoed.getValue().toStringUtf8()).isEqualTo("plain");
            assertThatThrownBy(() ->
                            client.unary(ECHO, "Fail", StringValue.of("9:not now"), StringValue.parser(), TIMEOUT))
                    .isInstanceOfSatisfying(TtrpcException.class, e -> {
                        assertThat(e.code()).isEqualTo(Code.FAILED_PRECONDITION);
                        assertThat(e.status().message()).isEqualTo("not now");
                    });
            assertThatThrownBy(() -> client.unary(
                            ECHO, "Sleep", Int64Value.of(30_000), Int64Value.parser(), Duration.ofMillis(200)))
                    .isInstanceOfSatisfying(
                            TtrpcException.class, e -> assertThat(e.code()).isEqualTo(Code.DEADLINE_EXCEEDED));
            assertThatThrownBy(() -> client.unary(
                            ECHO,
                            "Echo",
                            BytesValue.of(ByteString.copyFrom(new byte[WireLimits.MAX_DATA_LENGTH])),
                            BytesValue.parser(),
                            TIMEOUT))
                    .isInstanceOfSatisfying(
                            TtrpcException.class, e -> assertThat(e.code()).isEqualTo(Code.RESOURCE_EXHAUSTED));
            assertThat(client.unary(ECHO, "Echo", BytesValue.getDefaultInstance(), BytesValue.parser(), TIMEOUT))
                    .isEqualTo(BytesValue.getDefaultInstance());
        }
    }

    @Test
    void aPeerThatNeverAnswersCostsTheTimeoutAndAGraceNotForever() throws IOException {
        int[] pair = Libc.socketPair();
        VsockStream silent = new VsockStream(pair[0]);
        try (PlainClient client = PlainClient.over(new VsockStream(pair[1]))) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> client.unary(
                            ECHO, "Echo", BytesValue.getDefaultInstance(), BytesValue.parser(), Duration.ofMillis(300)))
                    .isInstanceOfSatisfying(
                            TtrpcException.class, e -> assertThat(e.code()).isEqualTo(Code.UNAVAILABLE));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        } finally {
            silent.close();
        }
    }
}
