package io.jvmm.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jvmm.mux.MuxEndpoint;
import io.jvmm.mux.MuxListener;
import io.jvmm.mux.StreamMux;
import io.jvmm.sys.Libc;
import io.jvmm.sys.VsockStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The agent's misbehaviour on request (for the host's hostile-guest tests): off unless the kernel command
 * line asks, and the mux garbage it writes is what it claims to be, checked against the real host end of
 * the stream mux over a socketpair.
 */
class HostileGuestTest {
    private static final Duration OPEN = Duration.ofSeconds(10);

    @Test
    void withoutTheArgumentTheAgentBehaves() {
        HostileGuest guest = HostileGuest.fromKernelArgs(List.of("console=ttyS0", "jvmm.hostile", "quiet"));
        guest.muxPipe(OutputStream.nullOutputStream());
        assertThat(guest.answersWaitsAtOnce()).isFalse();
        assertThat(guest.floodsOom()).isFalse();
        assertThat(guest.garblesMuxOn(HostileGuest.SIGUSR1)).isFalse();
    }

    @Test
    void theArgumentNamesTheBehaviours() {
        HostileGuest guest = HostileGuest.fromKernelArgs(List.of("quiet", "jvmm.hostile=instant-wait,mux-garbage"));
        assertThat(guest.answersWaitsAtOnce()).isTrue();
        assertThat(guest.floodsOom()).isFalse();
        assertThat(guest.garblesMuxOn(HostileGuest.SIGUSR1)).as("no mux yet").isFalse();
        guest.muxPipe(OutputStream.nullOutputStream());
        assertThat(guest.garblesMuxOn(15)).as("SIGTERM is a signal").isFalse();
        assertThat(guest.garblesMuxOn(HostileGuest.SIGUSR2)).isTrue();
    }

    @Test
    void aBehaviourNamedTwiceIsNamedOnce() {
        assertThat(HostileGuest.fromKernelArgs(List.of("jvmm.hostile=oom-flood,oom-flood"))
                        .floodsOom())
                .isTrue();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void droppableGarbageLeavesTheHostsStreamServingAndBytesThatAreNoFrameEndItsMux() throws Exception {
        VsockStream[] carrier = pair();
        OutputStream guestPipe = carrier[1].outputStream();
        StreamMux guest = StreamMux.guest("hostile-guest", carrier[1].inputStream(), guestPipe);
        StreamMux host = StreamMux.host("host", carrier[0].inputStream(), carrier[0].outputStream());
        VsockStream[] client = pair();
        try {
            MuxListener listener = guest.listen(7);
            host.open(7, MuxEndpoint.of(client[1]), OPEN);
            try (VsockStream inGuest = new VsockStream(listener.accept())) {
                HostileGuest.garble(guestPipe, HostileGuest.SIGUSR1);

                client[0].outputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
                assertThat(new String(inGuest.inputStream().readNBytes(4), StandardCharsets.US_ASCII))
                        .isEqualTo("ping");
                inGuest.outputStream().write("pong".getBytes(StandardCharsets.US_ASCII));
                assertThat(new String(client[0].inputStream().readNBytes(4), StandardCharsets.US_ASCII))
                        .isEqualTo("pong");
                assertThat(host.openStreams())
                        .as("the host's streams after the garbage")
                        .isEqualTo(1);

                HostileGuest.garble(guestPipe, HostileGuest.SIGUSR2);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (host.openStreams() > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(host.openStreams())
                        .as("the host's streams once the mux read no frame")
                        .isZero();
                VsockStream[] late = pair();
                try {
                    assertThatThrownBy(() -> host.open(7, MuxEndpoint.of(late[1]), OPEN))
                            .isInstanceOf(IOException.class);
                } finally {
                    late[0].close();
                    late[1].close();
                }
            }
        } finally {
            host.close();
            guest.close();
            client[0].close();
            client[1].close();
            carrier[0].close();
            carrier[1].close();
        }
    }

    private static VsockStream[] pair() throws IOException {
        int[] fds = Libc.socketPair();
        return new VsockStream[] {new VsockStream(fds[0]), new VsockStream(fds[1])};
    }
}
