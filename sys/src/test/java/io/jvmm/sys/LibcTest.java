package io.jvmm.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The system calls through libc's syscall(2), against the real kernel: numbers, arguments, errno. */
@Timeout(30)
class LibcTest {
    @TempDir
    Path dir;

    @Test
    void bytesWrittenToOneEndOfASocketPairAreReadFromTheOther() throws IOException {
        int[] pair = Libc.socketPair();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocateFrom("through the kernel", StandardCharsets.UTF_8);
            assertThat(Libc.write(pair[0], out, out.byteSize() - 1)).isEqualTo(18);
            MemorySegment in = arena.allocate(64);
            assertThat(Libc.read(pair[1], in, 64)).isEqualTo(18);
            assertThat(in.getString(0, StandardCharsets.UTF_8)).isEqualTo("through the kernel");
            Libc.shutdown(pair[0], 1);
            assertThat(Libc.read(pair[1], in, 64))
                    .as("end of stream after SHUT_WR")
                    .isZero();
        } finally {
            Libc.close(pair[0]);
            Libc.close(pair[1]);
        }
    }

    @Test
    void aFailedCallNamesTheCallAndTheError() throws IOException {
        int[] pair = Libc.socketPair();
        Libc.close(pair[0]);
        Libc.close(pair[1]);
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> Libc.read(pair[1], arena.allocate(8), 8))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("read failed")
                    .hasMessageContaining("errno 9");
        }
        assertThat(Libc.call(Syscall.CLOSE, pair[0]).errno()).isEqualTo(9); // EBADF
    }

    @Test
    void aUnixListenerMadeByHandAcceptsAJavaClient() throws Exception {
        Path socket = dir.resolve("l.sock");
        int listener = Libc.socket(UnixAddress.AF_UNIX, 1 | 0x80000, 0);
        try (Arena arena = Arena.ofConfined()) {
            Libc.bind(listener, UnixAddress.toNative(socket, arena));
            Libc.listen(listener, 1);
            try (SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                client.connect(UnixDomainSocketAddress.of(socket));
                int conn = Libc.accept(listener, 0x80000);
                try {
                    client.write(ByteBuffer.wrap("hi".getBytes(StandardCharsets.UTF_8)));
                    MemorySegment in = arena.allocate(8);
                    assertThat(Libc.read(conn, in, 8)).isEqualTo(2);
                    assertThat(in.get(ValueLayout.JAVA_BYTE, 1)).isEqualTo((byte) 'i');
                } finally {
                    Libc.close(conn);
                }
            }
        } finally {
            Libc.close(listener);
        }
        assertThat(Files.exists(socket)).isTrue();
    }

    @Test
    void dup2MakesATargetDescriptorThatReadsTheSameSocket() throws IOException {
        int[] pair = Libc.socketPair();
        int copy = pair[1] + 100;
        try (Arena arena = Arena.ofConfined()) {
            Libc.dup2(pair[1], copy);
            MemorySegment out = arena.allocateFrom("x", StandardCharsets.UTF_8);
            Libc.write(pair[0], out, 1);
            assertThat(Libc.read(copy, arena.allocate(4), 4)).isEqualTo(1);
        } finally {
            Libc.close(copy);
            Libc.close(pair[0]);
            Libc.close(pair[1]);
        }
    }
}
