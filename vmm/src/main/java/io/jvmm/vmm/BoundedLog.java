package io.jvmm.vmm;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What a process writes (a guest's serial console, a helper's messages), drained on a thread of its own
 * into a log file that never grows past a limit: at the limit the file becomes {@code <file>.1}
 * (replacing the one before) and a new one starts, so at most twice the limit is ever on disk, which
 * on a host whose /run is tmpfs is memory. The last {@link #TAIL_BYTES} stay in memory for error
 * messages, and a watched text completes a future as it passes: nothing rereads the file.
 */
public final class BoundedLog {
    /** The log files' limit each: far more than a boot prints, far less than a flooding guest would write. */
    public static final long DEFAULT_LIMIT = 4L << 20;

    static final int TAIL_BYTES = 16 * 1024;

    private final Path file;
    private final long limit;
    private final byte[] tail = new byte[TAIL_BYTES];
    private int tailLength;
    private final List<Watch> watches = new ArrayList<>();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    /** The source has ended (guarded by this): no watch can be seen any more. */
    private boolean ended;

    private record Watch(byte[] text, CompletableFuture<Void> seen) {}

    private BoundedLog(Path file, long limit) {
        this.file = file;
        this.limit = limit;
    }

    /** Drains {@code source} into {@code file} (and its {@code .1}) until its end. */
    public static BoundedLog drain(InputStream source, Path file, long limit) {
        BoundedLog log = new BoundedLog(file, limit);
        Thread.ofPlatform().daemon(true).name("log-" + file.getFileName()).start(() -> log.copy(source));
        return log;
    }

    /**
     * Reads to the end whatever happens to the file: a writer whose output is not read blocks (a guest's
     * console stalls), so a file that cannot be written costs the file, never the draining.
     */
    private void copy(InputStream source) {
        byte[] buffer = new byte[8192];
        long written = 0;
        OutputStream out = openOrNull(false);
        try (source) {
            for (int n = source.read(buffer); n >= 0; n = source.read(buffer)) {
                remember(buffer, n);
                if (out == null) {
                    continue;
                }
                try {
                    if (written + n > limit) {
                        out.close();
                        Files.move(file, sibling(), StandardCopyOption.REPLACE_EXISTING);
                        out = open(true);
                        written = 0;
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                    written += n;
                } catch (IOException e) {
                    closeQuietly(out);
                    out = null;
                }
            }
        } catch (IOException e) {
            // the process ended
        } finally {
            closeQuietly(out);
            // Watches end before drained completes: whoever waited for the end sees them settled.
            synchronized (this) {
                ended = true;
                watches.forEach(w -> w.seen().cancel(false));
                watches.clear();
            }
            drained.complete(null);
        }
    }

    private OutputStream openOrNull(boolean fresh) {
        try {
            return open(fresh);
        } catch (IOException e) {
            return null;
        }
    }

    private static void closeQuietly(OutputStream out) {
        if (out != null) {
            try {
                out.close();
            } catch (IOException e) {
                // nothing more to write
            }
        }
    }

    private OutputStream open(boolean fresh) throws IOException {
        return Files.newOutputStream(
                file,
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                fresh ? StandardOpenOption.TRUNCATE_EXISTING : StandardOpenOption.APPEND);
    }

    private Path sibling() {
        return file.resolveSibling(file.getFileName() + ".1");
    }

    private synchronized void remember(byte[] bytes, int n) {
        int keep = Math.min(n, TAIL_BYTES);
        int shift = Math.max(0, tailLength + keep - TAIL_BYTES);
        System.arraycopy(tail, shift, tail, 0, tailLength - shift);
        tailLength -= shift;
        int overlapStart = tailLength;
        System.arraycopy(bytes, n - keep, tail, tailLength, keep);
        tailLength += keep;
        watches.removeIf(w -> {
            // the text may straddle two reads: search from the longest prefix the earlier bytes can hold
            int from = Math.max(0, overlapStart - (w.text().length - 1));
            if (indexOf(tail, from, tailLength, w.text()) >= 0) {
                w.seen().complete(null);
                return true;
            }
            return false;
        });
    }

    private static int indexOf(byte[] data, int from, int to, byte[] text) {
        outer:
        for (int i = from; i + text.length <= to; i++) {
            for (int j = 0; j < text.length; j++) {
                if (data[i + j] != text[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /**
     * Completes when {@code text} passes through the log after this call (or is among the bytes still in
     * memory); cancelled if the source ends first.
     */
    public synchronized CompletableFuture<Void> watch(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        CompletableFuture<Void> seen = new CompletableFuture<>();
        if (indexOf(tail, 0, tailLength, bytes) >= 0) {
            seen.complete(null);
        } else if (ended) {
            seen.cancel(false);
        } else {
            watches.add(new Watch(bytes, seen));
        }
        return seen;
    }

    /** The last {@code lines} lines still in memory. */
    public synchronized String tail(int lines) {
        String text = new String(tail, 0, tailLength, StandardCharsets.UTF_8);
        List<String> all = text.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    /** Completes once the source has ended and everything is written. */
    public CompletableFuture<Void> drained() {
        return drained;
    }
}
