package io.jvmm.task.io;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.agent.client.StdioStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stdin copier of a process, against a real fifo and a real socket standing in for the guest's stream.
 * A copier that stops reading leaves a client blocked in open(2) or write(2): the timeout turns that into
 * a failure.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ProcessIoTest {
    @TempDir
    Path dir;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose.reversed()) {
            c.close();
        }
    }

    @Test
    void aStdinFifoNobodyOpensDoesNotKeepItsThreadAfterClose() throws Exception {
        Path fifo = mkfifo("never-opened-stdin");
        SocketChannel guestSide = guestStdin();
        ProcessIo io = stdinOnly("t-unopened", fifo);
        Thread copier = awaitThread("stdin-t-unopened");

        io.close();

        copier.join(Duration.ofSeconds(10));
        assertThat(copier.isAlive())
                .as("stdin copier still blocked in open(2) after close")
                .isFalse();
        assertThat(guestSide.read(ByteBuffer.allocate(1)))
                .as("the guest's stdin reached its end")
                .isEqualTo(-1);
    }

    @Test
    void whatTheClientWritesReachesTheGuestFollowedByEndOfFileAfterCloseIo() throws Exception {
        Piped p = piped("written");
        try (var client = Files.newOutputStream(p.fifo())) {
            client.write("hello guest".getBytes(StandardCharsets.UTF_8));
        }
        p.io().closeStdin();
        assertThat(new String(Channels.readAll(p.guest()), StandardCharsets.UTF_8))
                .isEqualTo("hello guest");
    }

    /**
     * ctr's order: its last write, then CloseIO, then it closes its end of the fifo. Up to a fifo's worth
     * of bytes can still be unread when CloseIO arrives; none of them may be lost.
     */
    @Test
    void closeIoBeforeTheClientClosesItsEndLosesNothing() throws Exception {
        Piped p = piped("ctr-order");
        byte[] sent = new byte[1 << 20];
        new Random(7).nextBytes(sent);
        Thread client = Thread.ofPlatform().daemon(true).start(() -> {
            try (var out = Files.newOutputStream(p.fifo())) {
                out.write(sent);
                p.io().closeStdin();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });

        byte[] received = Channels.readAll(p.guest());

        assertThat(client.join(Duration.ofSeconds(10))).isTrue();
        assertThat(received.length).isEqualTo(sent.length);
        assertThat(received).isEqualTo(sent);
        assertThat(p.io().stdinDrained(Duration.ofSeconds(10))).isTrue();
    }

    /** As with runc: a client closing its end is no end of file (another may attach); CloseIO is. */
    @Test
    void aClientThatGoesAwayWithoutCloseIoLeavesStdinOpenForTheNext() throws Exception {
        Piped p = piped("reattach");
        try (var first = Files.newOutputStream(p.fifo())) {
            first.write("one ".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(p.io().stdinDrained(Duration.ofMillis(300)))
                .as("stdin ended without CloseIO")
                .isFalse();
        try (var second = Files.newOutputStream(p.fifo())) {
            second.write("two".getBytes(StandardCharsets.UTF_8));
            p.io().closeStdin();
        }
        assertThat(new String(Channels.readAll(p.guest()), StandardCharsets.UTF_8))
                .isEqualTo("one two");
    }

    private SocketChannel hostSide;

    /** A process's stdin: the client's fifo, the copier, and the guest's end of the stream. */
    private record Piped(Path fifo, ProcessIo io, SocketChannel guest) {}

    private Piped piped(String name) throws Exception {
        Path fifo = mkfifo("stdin-" + name);
        SocketChannel guest = guestStdin();
        ProcessIo io = stdinOnly("t-" + name, fifo);
        toClose.add(io);
        return new Piped(fifo, io, guest);
    }

    /** A process with stdin only, from {@code fifo} to the host side of {@link #guestStdin()}. */
    private ProcessIo stdinOnly(String label, Path fifo) throws IOException {
        return ProcessIo.start(
                label, new StdioConfig(fifo.toString(), "", "", false), kind -> StdioStream.over(hostSide), Map.of());
    }

    /** A connected socket pair; the host end goes to ProcessIo, the guest end is returned. */
    private SocketChannel guestStdin() throws IOException {
        Path socket = dir.resolve("guest.sock");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        toClose.add(server);
        hostSide = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        toClose.add(hostSide);
        SocketChannel guest = server.accept();
        toClose.add(guest);
        return guest;
    }

    private Path mkfifo(String name) throws Exception {
        Path fifo = dir.resolve(name);
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertThat(p.waitFor()).isZero();
        return fifo;
    }

    private static Thread awaitThread(String name) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Thread> t = Thread.getAllStackTraces().keySet().stream()
                    .filter(th -> th.getName().equals(name))
                    .findFirst();
            if (t.isPresent()) {
                return t.get();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no thread " + name);
    }

    /** Reads a channel to its end. */
    private static final class Channels {
        static byte[] readAll(SocketChannel ch) throws IOException {
            try (var in = java.nio.channels.Channels.newInputStream(ch)) {
                return in.readAllBytes();
            }
        }
    }
}
