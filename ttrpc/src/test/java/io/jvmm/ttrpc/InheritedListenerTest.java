package io.jvmm.ttrpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.StringValue;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A listener bound by one owner and served by another: connections made in between wait, none is lost. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class InheritedListenerTest {
    private static final String SVC = "jvmm.test.Inherited";
    private static final ServiceDefinition ECHO = ServiceDefinition.builder(SVC)
            .unary("Echo", StringValue.parser(), (ctx, req) -> StringValue.of("echo " + req.getValue()))
            .build();

    @TempDir
    Path dir;

    @Test
    void aCallMadeBeforeTheServerAdoptsTheListenerIsAnsweredOnceItDoes() throws Exception {
        Path socket = dir.resolve("s.sock");
        int fd = InheritedListener.open(socket, 16);
        assertThat(Files.getPosixFilePermissions(socket)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        try (TtrpcClient early = TtrpcClient.connect(socket)) {
            CompletableFuture<StringValue> waiting =
                    early.unaryAsync(SVC, "Echo", StringValue.of("early"), StringValue.parser(), CallOptions.DEFAULT);
            Thread.sleep(200);
            assertThat(waiting).as("nobody serves the listener yet").isNotDone();

            TtrpcServer server = TtrpcServer.builder().addService(ECHO).adopt(fd, socket);
            try {
                assertThat(waiting.get(10, TimeUnit.SECONDS).getValue()).isEqualTo("echo early");
                try (TtrpcClient late = TtrpcClient.connect(socket)) {
                    assertThat(late.unary(SVC, "Echo", StringValue.of("late"), StringValue.parser())
                                    .getValue())
                            .isEqualTo("echo late");
                }
            } finally {
                assertThat(server.shutdown(Duration.ofSeconds(5))).isTrue();
            }
        }
        assertThat(socket).as("shutdown removes the adopted socket's path").doesNotExist();
        assertThat(connects(socket)).isFalse();
    }

    @Test
    void closingAnUnservedListenerRefusesLaterConnections() throws Exception {
        Path socket = dir.resolve("s.sock");
        int fd = InheritedListener.open(socket, 16);
        assertThat(connects(socket)).isTrue();
        InheritedListener.close(fd);
        assertThat(connects(socket)).isFalse();
    }

    @Test
    void anExistingPathOrOneTooLongIsRefusedWithItsName() throws Exception {
        Path socket = dir.resolve("taken.sock");
        Files.writeString(socket, "");
        assertThatThrownBy(() -> InheritedListener.open(socket, 16))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(socket.toString())
                .hasMessageContaining("bind");
        Path tooLong = dir.resolve("x".repeat(120));
        assertThatThrownBy(() -> InheritedListener.open(tooLong, 16))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("longer than 107 bytes");
    }

    @Test
    void adoptingADescriptorThatIsNotOpenFailsClearly() {
        Path socket = dir.resolve("s.sock");
        int notOpen = 65_000; // far above what this JVM has open, and never handed out while the test runs
        assertThatThrownBy(() -> TtrpcServer.builder().addService(ECHO).adopt(notOpen, socket))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("inherited listener");
    }

    private static boolean connects(Path socket) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
