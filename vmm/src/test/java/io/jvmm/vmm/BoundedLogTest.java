package io.jvmm.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class BoundedLogTest {
    @TempDir
    Path dir;

    @Test
    void aFloodNeverPutsMoreThanTwiceTheLimitOnDiskAndTheLastLinesStayAtHand() throws Exception {
        Path file = dir.resolve("console.log");
        PipedOutputStream guest = new PipedOutputStream();
        BoundedLog log = BoundedLog.drain(new PipedInputStream(guest, 65536), file, 100_000);
        byte[] line = "0123456789 flooding the console\n".getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 50_000; i++) { // 1.6 MB
            guest.write(line);
        }
        guest.write("the last words\n".getBytes(StandardCharsets.UTF_8));
        guest.close();
        log.drained().get(10, TimeUnit.SECONDS);

        long onDisk = Files.size(file) + Files.size(dir.resolve("console.log.1"));
        assertThat(onDisk).isLessThanOrEqualTo(200_000).isGreaterThan(100_000);
        assertThat(Files.readString(file)).endsWith("the last words\n");
        assertThat(log.tail(2)).isEqualTo("0123456789 flooding the console\nthe last words");
    }

    @Test
    void aWatchedTextIsSeenEvenWhenTwoReadsSplitItAndAfterTheSourceEndsNothingIsAwaited() throws Exception {
        PipedOutputStream guest = new PipedOutputStream();
        BoundedLog log = BoundedLog.drain(new PipedInputStream(guest), dir.resolve("c.log"), 1 << 20);
        CompletableFuture<Void> ready = log.watch("agent READY");
        guest.write("booting... agent RE".getBytes(StandardCharsets.UTF_8));
        guest.flush();
        Thread.sleep(200);
        assertThat(ready).isNotDone();
        guest.write("ADY on port 1024\n".getBytes(StandardCharsets.UTF_8));
        guest.flush();
        ready.get(5, TimeUnit.SECONDS);
        assertThat(log.watch("booting").isDone())
                .as("already among the bytes in memory")
                .isTrue();

        CompletableFuture<Void> never = log.watch("shutdown");
        guest.close();
        log.drained().get(5, TimeUnit.SECONDS);
        assertThat(never).isCancelled();
        assertThat(log.watch("other")).isCancelled();
    }

    @Test
    @Timeout(10)
    void anUnwritableFileStillDrainsTheSource() throws Exception {
        PipedOutputStream guest = new PipedOutputStream();
        BoundedLog log = BoundedLog.drain(new PipedInputStream(guest), dir.resolve("no/such/dir/c.log"), 1000);
        guest.write("x".repeat(5000).getBytes(StandardCharsets.UTF_8)); // blocks for good if nobody reads
        guest.write("\nend\n".getBytes(StandardCharsets.UTF_8));
        guest.close();
        log.drained().get(5, TimeUnit.SECONDS);
        assertThat(log.tail(1)).isEqualTo("end");
    }
}
