package io.jvmm.guest.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jvmm.sys.Libc;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The agent's own system calls against the real kernel (the ones a test process may make). */
@Timeout(30)
class GuestSyscallsTest {
    @TempDir
    Path dir;

    @Test
    void mkfifoMakesAFifoThatOpensWithoutWaitingAndCarriesBytes() throws IOException {
        Path fifo = dir.resolve("stdin");
        GuestSyscalls.mkfifo(fifo.toString(), 0600);
        var attributes = Files.readAttributes(fifo, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        assertThat(attributes.isOther())
                .as("a fifo, not a file, directory or link")
                .isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(fifo)))
                .isEqualTo("rw-------");
        int fd = GuestSyscalls.open(
                fifo.toString(), GuestSyscalls.O_RDWR | GuestSyscalls.O_NONBLOCK | GuestSyscalls.O_CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined()) {
            GuestSyscalls.setBlocking(fd);
            MemorySegment out = arena.allocateFrom("abc", StandardCharsets.UTF_8);
            assertThat(Libc.write(fd, out, 3)).isEqualTo(3);
            MemorySegment in = arena.allocate(8);
            assertThat(Libc.read(fd, in, 8)).isEqualTo(3);
            assertThat(in.getString(0, StandardCharsets.UTF_8)).isEqualTo("abc");
        } finally {
            Libc.close(fd);
        }
    }

    @Test
    void openOfAMissingPathNamesThePathAndTheError() {
        assertThatThrownBy(() -> GuestSyscalls.open(dir.resolve("missing").toString(), GuestSyscalls.O_RDONLY, 0))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("missing")
                .hasMessageContaining("errno 2");
    }

    @Test
    void signalZeroFindsThisProcessAndNotAnUnusedPid() throws IOException {
        GuestSyscalls.kill((int) ProcessHandle.current().pid(), 0);
        assertThatThrownBy(() -> GuestSyscalls.kill(Integer.MAX_VALUE - 1, 0))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("errno 3"); // ESRCH
    }

    @Test
    void resizingSomethingThatIsNoTerminalIsRefusedByTheKernel() throws IOException {
        int[] pair = Libc.socketPair();
        try {
            assertThatThrownBy(() -> GuestSyscalls.resizeTerminal(pair[0], 80, 24))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("TIOCSWINSZ")
                    .hasMessageContaining("errno 25"); // ENOTTY
        } finally {
            Libc.close(pair[0]);
            Libc.close(pair[1]);
        }
    }
}
