package io.jvmm.vmm.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Decides whether KVM works on this host: /dev/kvm must open, and a real guest (the jvmm kernel and
 * initrd in bare mode) must boot to its marker under KVM within a deadline. Nested or broken KVM
 * (as on the machine these tests run on) fails the probe, and jvmm falls back to TCG.
 */
public final class KvmProbe {
    private static Boolean cached;

    private KvmProbe() {}

    public static synchronized boolean works(Path kernel, Path initrd, Duration timeout) {
        if (cached == null) {
            cached = probe(kernel, initrd, timeout);
        }
        return cached;
    }

    static boolean probe(Path kernel, Path initrd, Duration timeout) {
        Path kvm = Path.of("/dev/kvm");
        if (!Files.isReadable(kvm) || !Files.isWritable(kvm)) {
            return false;
        }
        Path console = null;
        Process qemu = null;
        try {
            console = Files.createTempFile("jvmm-kvm-probe", ".log");
            qemu = new ProcessBuilder(List.of(
                            QemuCommandLine.BINARY,
                            "-machine",
                            "q35,accel=kvm",
                            "-cpu",
                            "host",
                            "-m",
                            "256M",
                            "-kernel",
                            kernel.toString(),
                            "-initrd",
                            initrd.toString(),
                            "-append",
                            "console=ttyS0 quiet panic=-1 jvmm.bare",
                            "-no-reboot",
                            "-nodefaults",
                            "-display",
                            "none",
                            "-serial",
                            "file:" + console))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                if (Files.readString(console).contains("JVMM-BARE-BOOT-DONE")) {
                    return true;
                }
                if (!qemu.isAlive()) {
                    return Files.readString(console).contains("JVMM-BARE-BOOT-DONE");
                }
                TimeUnit.MILLISECONDS.sleep(20);
            }
            return false;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            if (qemu != null) {
                qemu.destroyForcibly();
                try {
                    qemu.waitFor(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (console != null) {
                try {
                    Files.deleteIfExists(console);
                } catch (IOException e) {
                    // temp file
                }
            }
        }
    }
}
