package io.jvmm.guest;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.sys.Libc;
import io.jvmm.sys.VsockStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The guest side of a process's output across a lost host stream: a socketpair stands in for the
 * process's pipe, the "host" streams are in memory, one of them failing as a dropped session does.
 */
@Timeout(30)
class OutputPumpTest {
    @Test
    void aFailedHostStreamIsReplacedAndNothingIsLostInBetween() throws Exception {
        int[] pair = Libc.socketPair();
        OutputStream process = new VsockStream(pair[0]).outputStream();
        AtomicInteger closedFds = new AtomicInteger();
        OutputPump pump = new OutputPump("stdout", pair[1], fd -> {
            closedFds.incrementAndGet();
            Libc.close(fd);
        });
        Sink first = new Sink(1);
        pump.attach(first, first::close);
        process.write("one\n".getBytes(StandardCharsets.UTF_8));
        awaitTrue(() -> first.text().equals("one\n"));
        process.write("two\n".getBytes(StandardCharsets.UTF_8)); // the first host fails on this write
        awaitTrue(() -> first.closed);
        process.write("three\n".getBytes(StandardCharsets.UTF_8));
        Thread.sleep(200); // nothing to write to: the process's side stays open and its bytes wait
        assertThat(closedFds).as("the pipe is kept for the next host").hasValue(0);

        Sink second = new Sink(Integer.MAX_VALUE);
        pump.attach(second, second::close);
        awaitTrue(() -> second.text().equals("two\nthree\n"));
        assertThat(first.text()).isEqualTo("one\n");

        process.close();
        Libc.close(pair[0]);
        pump.drained.get(10, TimeUnit.SECONDS);
        assertThat(second.closed).as("end of output reaches the attached host").isTrue();
        assertThat(closedFds).hasValue(1);
    }

    @Test
    void afterTheProcessExitedOutputWithNoHostIsDroppedSoTheExitIsNotHeldUp() throws Exception {
        int[] pair = Libc.socketPair();
        OutputStream process = new VsockStream(pair[0]).outputStream();
        OutputPump pump = new OutputPump("stdout", pair[1], Libc::close);
        Sink failing = new Sink(0);
        pump.attach(failing, failing::close);
        process.write("lost\n".getBytes(StandardCharsets.UTF_8));
        awaitTrue(() -> failing.closed);
        process.close();
        Libc.close(pair[0]);
        assertThat(pump.drained)
                .as("waiting for a host while the process may still need one")
                .isNotDone();
        pump.processExited();
        pump.drained.get(10, TimeUnit.SECONDS);
        Sink late = new Sink(Integer.MAX_VALUE);
        pump.attach(late, late::close);
        assertThat(late.closed)
                .as("a host attaching after the end gets the end at once")
                .isTrue();
        assertThat(late.text()).isEmpty();
    }

    /** An in-memory host stream that fails on write number {@code failOn} (0: the first). */
    private static final class Sink extends OutputStream {
        private final ByteArrayOutputStream data = new ByteArrayOutputStream();
        private final int failOn;
        private int writes;
        volatile boolean closed;

        Sink(int failOn) {
            this.failOn = failOn;
        }

        @Override
        public synchronized void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            if (writes++ == failOn || closed) {
                throw new IOException("host stream reset");
            }
            data.write(b, off, len);
        }

        @Override
        public void close() {
            closed = true;
        }

        synchronized String text() {
            return data.toString(StandardCharsets.UTF_8);
        }
    }

    private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(10);
        }
    }
}
