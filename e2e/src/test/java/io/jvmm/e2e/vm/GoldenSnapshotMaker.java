package io.jvmm.e2e.vm;

import io.jvmm.e2e.Leftovers;
import io.jvmm.vmm.Accel;
import io.jvmm.vmm.GuestSnapshot;
import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.qemu.QemuVm;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.zip.GZIPOutputStream;

/**
 * Writes the golden snapshot fixture of the current format: a VM of the snapshot layout saved at reset
 * (device state only; its memory is all holes), as {@code golden/format-<N>/manifest.json} and
 * {@code guest.vmstate.gz} under {@code args[0]}. Run once per format, by hand; the result is committed
 * and {@link GoldenSnapshotTest} restores it forever after.
 */
public final class GoldenSnapshotMaker {
    private GoldenSnapshotMaker() {}

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]).resolve("golden").resolve("format-" + GuestSnapshot.FORMAT);
        Path work = Files.createTempDirectory(Path.of("/tmp"), "jvmm-golden");
        try {
            VmConfig config = GoldenSnapshotTest.config(Files.createDirectories(work.resolve("vm")));
            GuestSnapshot snapshot = new GuestSnapshot(work.resolve("snapshot"));
            try (QemuVm vm = QemuVm.heldAtReset(config, config.accel() == Accel.KVM)) {
                vm.start(Duration.ofSeconds(60));
                vm.saveSnapshot(snapshot, Duration.ofSeconds(60));
            }
            Files.createDirectories(out);
            Files.copy(snapshot.manifestFile(), out.resolve("manifest.json"), StandardCopyOption.REPLACE_EXISTING);
            try (OutputStream gz = new GZIPOutputStream(Files.newOutputStream(out.resolve("guest.vmstate.gz")))) {
                Files.copy(snapshot.vmstate(), gz);
            }
            System.out.println("wrote " + out + " (device state " + Files.size(snapshot.vmstate()) + " bytes)");
        } finally {
            Leftovers.deleteTree(work);
        }
    }
}
