package io.jvmm.task.sandbox;

import io.jvmm.vmm.Accel;
import io.jvmm.vmm.qemu.KvmProbe;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Resolves {@code accel = auto} once per host boot: probing KVM boots a small guest (up to seconds when
 * KVM is broken), too slow to repeat for every sandbox, so the answer is kept under the state root
 * (a tmpfs, emptied by a reboot).
 */
final class AccelChoice {
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);

    private AccelChoice() {}

    static Accel resolve(SandboxSettings settings) {
        if (settings.accel() != Accel.AUTO) {
            return settings.accel();
        }
        Path cache = settings.stateRoot().resolve("accel");
        try {
            String cached = Files.readString(cache).strip();
            if (cached.equals("kvm") || cached.equals("tcg")) {
                return cached.equals("kvm") ? Accel.KVM : Accel.TCG;
            }
        } catch (IOException e) {
            // not probed yet
        }
        boolean kvm = KvmProbe.works(settings.kernel(), settings.initrd(), PROBE_TIMEOUT);
        try {
            Files.createDirectories(settings.stateRoot());
            AtomicFile.write(cache, (kvm ? "kvm" : "tcg").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            // only a cache
        }
        return kvm ? Accel.KVM : Accel.TCG;
    }
}
