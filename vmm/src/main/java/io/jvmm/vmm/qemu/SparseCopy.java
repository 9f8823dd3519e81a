package io.jvmm.vmm.qemu;

import io.jvmm.vmm.VmException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Copies a memory file keeping its holes (pages the guest never touched cost nothing): {@code cp --sparse=always}. */
final class SparseCopy {
    private static final long LIMIT_SECONDS = 120;

    private SparseCopy() {}

    static void copy(Path from, Path to) {
        try {
            Process cp = new ProcessBuilder("cp", "--sparse=always", from.toString(), to.toString())
                    .redirectErrorStream(true)
                    .start();
            if (!cp.waitFor(LIMIT_SECONDS, TimeUnit.SECONDS)) {
                cp.destroyForcibly();
                throw new VmException.BootFailed("copying " + from + " took longer than " + LIMIT_SECONDS + " s", null);
            }
            String out = new String(cp.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (cp.exitValue() != 0) {
                throw new VmException.BootFailed("cannot copy " + from + ": " + out, null);
            }
            to.toFile().setWritable(true, true);
        } catch (IOException e) {
            throw new VmException.BootFailed("cannot copy " + from + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmException.BootFailed("interrupted while copying " + from, e);
        }
    }
}
