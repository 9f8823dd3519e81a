package io.jvmm.shim;

import io.jvmm.shim.logging.LogfmtProvider;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Points the server's log at the {@code log} fifo containerd made in the bundle (containerd copies what
 * arrives there into its own log). Must run before the first logger is created: the shim's log4j2 back end
 * (io.jvmm.shim.logging) writes to the process's current stderr, which this replaces, at the level set here.
 */
final class ShimLogging {
    private ShimLogging() {}

    static void init(Path bundle, boolean debug) {
        System.setProperty(LogfmtProvider.LEVEL_PROPERTY, debug ? "debug" : "info");
        Path fifo = bundle.resolve("log");
        if (!Files.exists(fifo)) {
            return;
        }
        try {
            // Read-write: opening a fifo this way never blocks, even before containerd opened its end.
            RandomAccessFile log = new RandomAccessFile(fifo.toFile(), "rw");
            System.setErr(new PrintStream(new FileOutputStream(log.getFD()), true));
        } catch (IOException e) {
            System.err.println("jvmm shim: cannot open " + fifo + ": " + e.getMessage());
        }
    }
}
