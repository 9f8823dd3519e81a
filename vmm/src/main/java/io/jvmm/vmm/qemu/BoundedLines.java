package io.jvmm.vmm.qemu;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Newline-terminated UTF-8 lines from a stream, none longer than a limit: a peer that sends more than that
 * without a newline is refused before its bytes are held (an IOException), not buffered without end.
 */
final class BoundedLines {
    private final InputStream in;
    private final int maxLine;
    private final byte[] buffer = new byte[8192];
    private int start;
    private int end;

    BoundedLines(InputStream in, int maxLine) {
        this.in = in;
        this.maxLine = maxLine;
    }

    /** The next line without its end ({@code \n} or {@code \r\n}); null at end of stream (a last unterminated line is returned). */
    String next() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            for (int i = start; i < end; i++) {
                if (buffer[i] == '\n') {
                    append(line, i);
                    start = i + 1;
                    byte[] bytes = line.toByteArray();
                    int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                    return new String(bytes, 0, length, StandardCharsets.UTF_8);
                }
            }
            append(line, end);
            start = 0;
            end = in.read(buffer);
            if (end < 0) {
                end = 0;
                return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
            }
        }
    }

    private void append(ByteArrayOutputStream line, int upTo) throws IOException {
        if (line.size() + (upTo - start) > maxLine) {
            throw new IOException("a line longer than " + maxLine + " bytes");
        }
        line.write(buffer, start, upTo - start);
    }
}
