package io.jvmm.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HybridVsockTest {
    @TempDir
    Path dir;

    @Test
    void requestsAndAnswersRoundTrip() throws IOException {
        assertThat(HybridVsock.request(1024)).isEqualTo("CONNECT 1024\n");
        assertThat(HybridVsock.parseRequest("CONNECT 4294967295")).isEqualTo(-1);
        assertThat(HybridVsock.answer(-1)).isEqualTo("OK 4294967295\n");
        HybridVsock.checkAnswer(1024, "OK 1073741824");
    }

    @Test
    void anythingButARequestIsRefused() {
        for (String bad : new String[] {
            "",
            "CONNECT",
            "CONNECT -1",
            "CONNECT 1 2",
            "connect 1",
            "CONNECT 99999999999",
            "CONNECT 4294967296",
            "CONNECT 1\r"
        }) {
            assertThatThrownBy(() -> HybridVsock.parseRequest(bad)).as(bad).isInstanceOf(IOException.class);
        }
        assertThatThrownBy(() -> HybridVsock.checkAnswer(5, "\u001b[2JNO"))
                .hasMessageContaining("port 5 refused (?[2JNO)");
        assertThatThrownBy(() -> HybridVsock.checkAnswer(5, "")).hasMessageContaining("connection closed");
    }

    @Test
    void aClientConnectsAndKeepsTheBytesAfterTheAnswer() throws Exception {
        Path socket = dir.resolve("v.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            CompletableFuture<Integer> served = CompletableFuture.supplyAsync(
                    () -> {
                        try (SocketChannel peer = server.accept()) {
                            int port = HybridVsock.parseRequest(HybridVsock.readLine(peer, true));
                            HybridVsock.write(peer, HybridVsock.answer(port) + "stream bytes");
                            return port;
                        } catch (IOException e) {
                            throw new IllegalStateException(e);
                        }
                    },
                    r -> Thread.ofPlatform().start(r));
            try (SocketChannel client = HybridVsock.connect(socket, 1025, Duration.ofSeconds(5))) {
                assertThat(served.get(5, TimeUnit.SECONDS)).isEqualTo(1025);
                ByteBuffer rest = ByteBuffer.allocate(64);
                while (client.read(rest) >= 0) {
                    // until the server's close
                }
                assertThat(new String(rest.array(), 0, rest.position(), StandardCharsets.UTF_8))
                        .isEqualTo("stream bytes");
            }
        }
    }

    @Test
    void anOverlongOrUnfinishedLineIsRefusedWithoutReadingOn() throws Exception {
        Path socket = dir.resolve("w.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket));
                    SocketChannel peer = server.accept()) {
                HybridVsock.write(client, "C".repeat(HybridVsock.MAX_LINE + 10));
                assertThatThrownBy(() -> HybridVsock.readLine(peer, true)).hasMessageContaining("longer than 64");
                client.shutdownOutput();
                ByteBuffer left = ByteBuffer.allocate(64);
                int n = peer.read(left);
                assertThat(n).as("bytes past the limit stay unread").isEqualTo(10);
            }
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket));
                    SocketChannel peer = server.accept()) {
                HybridVsock.write(client, "CONNECT 5");
                client.shutdownOutput();
                assertThatThrownBy(() -> HybridVsock.readLine(peer, true))
                        .hasMessageContaining("closed before the end");
            }
        }
    }

    /** The old connect read the answer without a deadline: a guest that accepted and never answered held it. */
    @Test
    void aGuestThatNeverAnswersIsLeftAtTheDeadline() throws Exception {
        Path socket = dir.resolve("mute.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            long begin = System.nanoTime();
            assertThatThrownBy(() -> HybridVsock.connect(socket, 7, Duration.ofMillis(300)))
                    .isInstanceOf(IOException.class)
                    .hasMessage("hybrid vsock: port 7 did not answer within 300 ms");
            assertThat(Duration.ofNanos(System.nanoTime() - begin)).isLessThan(Duration.ofSeconds(5));
            try (SocketChannel accepted = server.accept()) {
                assertThat(accepted.read(ByteBuffer.allocate(64)))
                        .as("the request came, then the close")
                        .isPositive();
            }
        }
    }
}
