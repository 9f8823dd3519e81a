package io.jvmm.mux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jvmm.sys.Libc;
import io.jvmm.sys.VsockStream;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The stream mux over a real socketpair (standing in for the virtio-serial port), both ends real. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StreamMuxTest {
    private static final Duration OPEN = Duration.ofSeconds(10);
    private long fdsBefore;

    /** What the JVM opens once and keeps (the SecureRandom device, log files) is open before counting. */
    @BeforeAll
    static void warmUp() throws Exception {
        try (Pipe p = pipe()) {
            p.guest().listen(1);
            VsockStream[] client = pair();
            p.host().open(1, MuxEndpoint.of(client[1]), OPEN);
            client[0].close();
        }
    }

    @BeforeEach
    void countFds() throws IOException {
        fdsBefore = openFds();
    }

    @AfterEach
    void noFdLeft() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (openFds() > fdsBefore && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(openFds()).as("open fds after the test").isLessThanOrEqualTo(fdsBefore);
    }

    private static long openFds() throws IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    /** Two real sockets: {@code [0]} for the test's client, {@code [1]} for the mux to pump. */
    private static VsockStream[] pair() throws IOException {
        int[] fds = Libc.socketPair();
        return new VsockStream[] {new VsockStream(fds[0]), new VsockStream(fds[1])};
    }

    private record Pipe(StreamMux host, StreamMux guest, VsockStream[] carrier) implements AutoCloseable {
        @Override
        public void close() {
            host.close();
            guest.close();
            carrier[0].close();
            carrier[1].close();
        }
    }

    private static Pipe pipe() throws IOException {
        VsockStream[] carrier = pair();
        StreamMux guest = StreamMux.guest("test-guest", carrier[1].inputStream(), carrier[1].outputStream());
        StreamMux host = StreamMux.host("test-host", carrier[0].inputStream(), carrier[0].outputStream());
        return new Pipe(host, guest, carrier);
    }

    /** Echoes every stream accepted on {@code listener} until end of stream, then closes it. */
    private static void echo(MuxListener listener) {
        Thread.ofPlatform().daemon(true).start(() -> {
            while (true) {
                VsockStream s;
                try {
                    s = listener.acceptStream();
                } catch (IOException e) {
                    return;
                }
                Thread.ofPlatform().daemon(true).start(() -> {
                    try (s) {
                        s.inputStream().transferTo(s.outputStream());
                        s.shutdownOutput();
                    } catch (IOException e) {
                        // the test sees it as missing bytes
                    }
                });
            }
        });
    }

    @Test
    void carriesManyMegabytesBothWaysWithBackPressureAndEndOfStream() throws Exception {
        try (Pipe p = pipe()) {
            echo(p.guest().listen(1025));
            VsockStream[] client = pair();
            p.host().open(1025, MuxEndpoint.of(client[1]), OPEN);
            byte[] data = new byte[6 * 1024 * 1024 + 17];
            new Random(7).nextBytes(data);
            // The reader starts late: the echo must stop at the window instead of buffering everything.
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    client[0].outputStream().write(data);
                    client[0].shutdownOutput();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            Thread.sleep(300);
            byte[] back = client[0].inputStream().readAllBytes();
            writer.get(30, TimeUnit.SECONDS);
            client[0].close();
            assertThat(back.length).isEqualTo(data.length);
            assertThat(sha(back)).isEqualTo(sha(data));
        }
    }

    /**
     * A virtio-serial port cannot say how many bytes wait: FIONREAD fails there and the JDK's available()
     * falls back to lseek, which throws "Illegal seek". BufferedInputStream asks after a partial read, so
     * the first frame larger than what had arrived made the guest drop its session and wait for a HELLO
     * that never came (an exec's 100 KB stdin hung for good in a VM of the snapshot layout).
     */
    @Test
    @Timeout(value = 40, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a native write does not heed interrupts
    void aGuestPipeThatCannotTellWhatIsAvailableStillCarriesLargeFrames() throws Exception {
        VsockStream[] carrier = pair();
        InputStream portLike = new FilterInputStream(carrier[1].inputStream()) {
            @Override
            public int available() throws IOException {
                throw new IOException("Illegal seek");
            }
        };
        StreamMux guest = StreamMux.guest("test-guest", portLike, carrier[1].outputStream());
        StreamMux host = StreamMux.host("test-host", carrier[0].inputStream(), carrier[0].outputStream());
        try (Pipe p = new Pipe(host, guest, carrier)) {
            echo(p.guest().listen(1025));
            VsockStream[] client = pair();
            p.host().open(1025, MuxEndpoint.of(client[1]), OPEN);
            byte[] data = new byte[1024 * 1024];
            new Random(3).nextBytes(data);
            // Threads of their own: the common pool may have a single thread on a small machine.
            CompletableFuture<byte[]> back = new CompletableFuture<>();
            Thread.ofPlatform().daemon(true).start(() -> {
                try {
                    back.complete(client[0].inputStream().readAllBytes());
                } catch (IOException e) {
                    back.completeExceptionally(e);
                }
            });
            Thread.ofPlatform().daemon(true).start(() -> {
                try {
                    client[0].outputStream().write(data);
                    client[0].shutdownOutput();
                } catch (IOException e) {
                    back.completeExceptionally(e);
                }
            });
            byte[] echoed = back.get(30, TimeUnit.SECONDS);
            client[0].close();
            assertThat(sha(echoed)).isEqualTo(sha(data));
        }
    }

    @Test
    void severalStreamsAtOnceStayApart() throws Exception {
        try (Pipe p = pipe()) {
            echo(p.guest().listen(7));
            VsockStream[][] clients = new VsockStream[5][];
            for (int i = 0; i < clients.length; i++) {
                clients[i] = pair();
                p.host().open(7, MuxEndpoint.of(clients[i][1]), OPEN);
            }
            for (int i = clients.length - 1; i >= 0; i--) {
                clients[i][0].outputStream().write(("stream " + i).getBytes());
                clients[i][0].shutdownOutput();
            }
            for (int i = 0; i < clients.length; i++) {
                assertThat(new String(clients[i][0].inputStream().readAllBytes()))
                        .isEqualTo("stream " + i);
                clients[i][0].close();
            }
        }
    }

    @Test
    void aPortNobodyListensOnIsRefused() throws Exception {
        try (Pipe p = pipe()) {
            VsockStream[] client = pair();
            try {
                assertThatThrownBy(() -> p.host().open(99, MuxEndpoint.of(client[1]), OPEN))
                        .isInstanceOf(IOException.class)
                        .hasMessageContaining("refused");
            } finally {
                client[0].close();
                client[1].close();
            }
        }
    }

    @Test
    void guestClosingItsSideEndsTheHostsStream() throws Exception {
        try (Pipe p = pipe()) {
            MuxListener listener = p.guest().listen(3);
            VsockStream[] client = pair();
            p.host().open(3, MuxEndpoint.of(client[1]), OPEN);
            VsockStream accepted = listener.acceptStream();
            accepted.outputStream().write("bye".getBytes());
            accepted.close();
            assertThat(new String(client[0].inputStream().readAllBytes())).isEqualTo("bye");
            client[0].close();
        }
    }

    @Test
    void theHostOpensNothingWhenThePipeHasEnded() throws Exception {
        VsockStream[] carrier = pair();
        StreamMux host = StreamMux.host("alone", carrier[0].inputStream(), carrier[0].outputStream());
        carrier[1].close();
        VsockStream[] client = pair();
        try {
            assertThatThrownBy(() -> host.open(1, MuxEndpoint.of(client[1]), OPEN))
                    .isInstanceOf(IOException.class);
        } finally {
            host.close();
            carrier[0].close();
            client[0].close();
            client[1].close();
        }
    }

    /** The guest end driven frame by frame, as a host restored from a snapshot or a broken one would. */
    @Test
    void guestSkipsGarbageAnswersHelloAndDropsStreamsOfTheOldSession() throws Exception {
        VsockStream[] carrier = pair();
        StreamMux guest = StreamMux.guest("raw", carrier[1].inputStream(), carrier[1].outputStream());
        MuxListener listener = guest.listen(5);
        OutputStream toGuest = carrier[0].outputStream();
        DataInputStream fromGuest = new DataInputStream(carrier[0].inputStream());
        try {
            byte[] hello = helloPayload(1);
            toGuest.write(new byte[] {9, 9, 9, 0, 0, 0, 0}); // half a frame left by a dead host
            new MuxFrame(MuxFrame.Kind.HELLO, 0, hello).writeTo(toGuest);
            assertThat(MuxFrame.readFrom(fromGuest)).satisfies(f -> {
                assertThat(f.kind()).isEqualTo(MuxFrame.Kind.HELLO);
                assertThat(f.payload()).isEqualTo(hello);
            });
            MuxFrame.withInt(MuxFrame.Kind.OPEN, 1, 5).writeTo(toGuest);
            assertThat(MuxFrame.readFrom(fromGuest).kind()).isEqualTo(MuxFrame.Kind.ACCEPT);
            VsockStream accepted = listener.acceptStream();
            MuxFrame.withInt(MuxFrame.Kind.OPEN, 2, 6).writeTo(toGuest);
            assertThat(MuxFrame.readFrom(fromGuest).kind()).isEqualTo(MuxFrame.Kind.REFUSE);

            // A new session (a restored guest's new host): stream 1 ends for the guest's reader.
            new MuxFrame(MuxFrame.Kind.HELLO, 0, helloPayload(2)).writeTo(toGuest);
            assertThat(accepted.inputStream().read()).isEqualTo(-1);
            accepted.close();
            assertThat(MuxFrame.readFrom(fromGuest).payload()).isEqualTo(helloPayload(2));

            // Beyond its credit: the guest resets the stream instead of buffering without bound.
            MuxFrame.withInt(MuxFrame.Kind.OPEN, 3, 5).writeTo(toGuest);
            assertThat(MuxFrame.readFrom(fromGuest).kind()).isEqualTo(MuxFrame.Kind.ACCEPT);
            VsockStream slow = listener.acceptStream();
            byte[] chunk = new byte[MuxFrame.MAX_PAYLOAD];
            for (int i = 0; i < 40; i++) { // far beyond the window and what the socket buffers
                new MuxFrame(MuxFrame.Kind.DATA, 3, chunk).writeTo(toGuest);
            }
            MuxFrame next = MuxFrame.readFrom(fromGuest);
            while (next.kind() == MuxFrame.Kind.CREDIT) {
                next = MuxFrame.readFrom(fromGuest);
            }
            assertThat(next.kind()).isEqualTo(MuxFrame.Kind.RESET);
            slow.close();
        } finally {
            guest.close();
            carrier[0].close();
            carrier[1].close();
        }
    }

    /**
     * The host end driven by a hostile guest: a flood of end-of-stream (and empty data) frames for one
     * stream must not queue without bound. The host resets the stream at the second EOF (the old code
     * queued every one of them).
     */
    @Test
    @Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a native read does not heed interrupts
    void aGuestRepeatingEndOfStreamGetsTheStreamResetNotQueued() throws Exception {
        VsockStream[] carrier = pair();
        VsockStream[] client = pair();
        StreamMux host = StreamMux.host("raw-host", carrier[0].inputStream(), carrier[0].outputStream());
        OutputStream toHost = carrier[1].outputStream();
        DataInputStream fromHost = new DataInputStream(carrier[1].inputStream());
        try {
            MuxFrame hello = MuxFrame.readFrom(fromHost);
            assertThat(hello.kind()).isEqualTo(MuxFrame.Kind.HELLO);
            hello.writeTo(toHost);
            CompletableFuture<Void> opened = CompletableFuture.runAsync(() -> {
                try {
                    host.open(7, MuxEndpoint.of(client[1]), OPEN);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            MuxFrame open = MuxFrame.readFrom(fromHost);
            assertThat(open.kind()).isEqualTo(MuxFrame.Kind.OPEN);
            new MuxFrame(MuxFrame.Kind.ACCEPT, open.stream(), new byte[0]).writeTo(toHost);
            opened.get(10, TimeUnit.SECONDS);

            new MuxFrame(MuxFrame.Kind.DATA, open.stream(), new byte[0]).writeTo(toHost);
            for (int i = 0; i < 1000; i++) {
                new MuxFrame(MuxFrame.Kind.EOF, open.stream(), new byte[0]).writeTo(toHost);
            }
            MuxFrame next = MuxFrame.readFrom(fromHost);
            while (next.kind() == MuxFrame.Kind.CREDIT) {
                next = MuxFrame.readFrom(fromHost);
            }
            assertThat(next.kind()).isEqualTo(MuxFrame.Kind.RESET);
            assertThat(next.stream()).isEqualTo(open.stream());
        } finally {
            host.close();
            for (VsockStream s : List.of(carrier[0], carrier[1], client[0], client[1])) {
                s.close();
            }
        }
    }

    @Test
    void framesThatCannotBeAreRejectedBeforeAllocation() {
        byte[] huge = {5, 0, 0, 0, 1, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        assertThatThrownBy(() -> MuxFrame.readFrom(new ByteArrayInputStream(huge)))
                .isInstanceOf(MuxProtocolException.class)
                .hasMessageContaining("exceeds");
        byte[] unknown = {42, 0, 0, 0, 1, 0, 0, 0, 0};
        assertThatThrownBy(() -> MuxFrame.readFrom(new ByteArrayInputStream(unknown)))
                .isInstanceOf(MuxProtocolException.class)
                .hasMessageContaining("unknown frame kind 42");
        byte[] helloOnStream = {1, 0, 0, 0, 4, 0, 0, 0, 0};
        assertThatThrownBy(() -> MuxFrame.readFrom(new ByteArrayInputStream(helloOnStream)))
                .isInstanceOf(MuxProtocolException.class);
    }

    private static byte[] helloPayload(long nonce) {
        return ByteBuffer.allocate(16).put("jvmm-mux".getBytes()).putLong(nonce).array();
    }

    private static String sha(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
