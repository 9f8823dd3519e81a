package io.jvmm.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class BoundedLinesTest {
    @Test
    void linesEndAtNewlinesWithOrWithoutCarriageReturnAndTheLastMayBeUnterminated() throws IOException {
        BoundedLines lines =
                new BoundedLines(new ByteArrayInputStream("one\r\ntwo\n\nthré".getBytes(StandardCharsets.UTF_8)), 100);
        assertThat(lines.next()).isEqualTo("one");
        assertThat(lines.next()).isEqualTo("two");
        assertThat(lines.next()).isEmpty();
        assertThat(lines.next()).isEqualTo("thré");
        assertThat(lines.next()).isNull();
    }

    @Test
    void aLineAcrossManyReadsIsWholeAndOneAtTheLimitPasses() throws IOException {
        String line = "x".repeat(20_000);
        BoundedLines lines = new BoundedLines(trickle(line + "\n" + "y\n"), 20_000);
        assertThat(lines.next()).isEqualTo(line);
        assertThat(lines.next()).isEqualTo("y");
    }

    @Test
    void aLineOverTheLimitIsRefusedBeforeItIsHeld() {
        // An endless stream without a newline: refused once past the limit, not read to its end.
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                return 'a';
            }

            @Override
            public int read(byte[] b, int off, int len) {
                Arrays.fill(b, off, off + len, (byte) 'a');
                return len;
            }
        };
        assertThatThrownBy(() -> new BoundedLines(endless, 1 << 16).next())
                .isInstanceOf(IOException.class)
                .hasMessageContaining("longer than 65536 bytes");
    }

    /** A stream that gives at most 7 bytes a read. */
    private static InputStream trickle(String text) {
        ByteArrayInputStream all = new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
        return new InputStream() {
            @Override
            public int read() {
                return all.read();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                return all.read(b, off, Math.min(len, 7));
            }
        };
    }
}
