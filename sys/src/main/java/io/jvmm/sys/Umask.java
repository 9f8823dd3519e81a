package io.jvmm.sys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * The process's file mode creation mask. Reading it costs no system call ({@code /proc/self/status}
 * shows it), so a process whose launcher already set it skips the native call, and with it linking the
 * FFM downcall, which costs a starting JVM tens of milliseconds (the shim server before its first answer).
 */
public final class Umask {
    private Umask() {}

    /** The current mask, from {@code /proc/self/status}; empty when the kernel does not show it (before 4.7). */
    public static OptionalInt current() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("Umask:")) {
                return OptionalInt.of(
                        Integer.parseInt(line.substring("Umask:".length()).strip(), 8));
            }
        }
        return OptionalInt.empty();
    }

    /** Makes {@code mask} the process's mask; returns false when it already was, without a system call. */
    public static boolean ensure(int mask) throws IOException {
        OptionalInt now = current();
        if (now.isPresent() && now.getAsInt() == mask) {
            return false;
        }
        Libc.call(Syscall.UMASK, mask);
        return true;
    }
}
