package io.jvmm.e2e.vm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvmm.agent.client.AgentClient;
import io.jvmm.e2e.Leftovers;
import io.jvmm.task.sandbox.GuestConnector;
import io.jvmm.vmm.Accel;
import io.jvmm.vmm.GuestSnapshot;
import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.VmmType;
import io.jvmm.vmm.qemu.QemuVm;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The committed snapshot of format 1 (made by {@link GoldenSnapshotMaker}: the snapshot layout saved at
 * reset) must keep restoring: its manifest must still be read, and QEMU must still load its device state
 * into the snapshot layout this build starts. A change of the layout (a device added, moved, renamed) or
 * of the manifest breaks this test instead of users' templates; such a change raises
 * {@link GuestSnapshot#FORMAT} and adds a fixture.
 */
class GoldenSnapshotTest {
    private static final String FIXTURE = "/golden/format-1/";
    private Path work;

    /** The VM every golden fixture is made for and restored into: 1 vCPU, 256 MiB, TCG, the built guest. */
    static VmConfig config(Path stateDir) {
        GuestImage image = GuestImage.get();
        return new VmConfig(
                stateDir,
                image.kernel(),
                image.initrd(),
                Optional.of(image.runtimeDisk()),
                Optional.empty(),
                1,
                256,
                3,
                Accel.TCG,
                "");
    }

    @AfterEach
    void cleanUp() {
        if (work != null) {
            Leftovers.deleteTree(work);
        }
    }

    @Test
    void theFormatOneFixtureRestoresAndItsGuestBoots() throws Exception {
        work = Files.createTempDirectory(Path.of("/tmp"), "jvmm-gold");
        VmConfig config = config(Files.createDirectories(work.resolve("vm")));
        GuestSnapshot golden = unpack(work.resolve("golden"), config);

        GuestSnapshot.Manifest manifest = golden.verifyFor(config, VmmType.QEMU);
        assertThat(manifest.format()).isEqualTo(1);
        assertThat(manifest.memoryMib()).isEqualTo(256);
        try (QemuVm vm = QemuVm.restoring(config, false, golden)) {
            vm.start(Duration.ofSeconds(120)); // fails if QEMU cannot load the device state into today's layout
            // Saved before its first instruction: on cont the machine boots, today's guest on it.
            try (AgentClient agent = GuestConnector.connect(vm, Duration.ofSeconds(300))) {
                agent.ping(Duration.ofSeconds(10));
            }
        }
    }

    /**
     * The fixture as a snapshot directory: the device state unpacked, a memory file of the recorded size
     * (all holes, as the machine at reset had it), and the manifest with the guest image of this machine
     * (the image files are per machine; everything else is as committed).
     */
    private static GuestSnapshot unpack(Path dir, VmConfig config) throws Exception {
        Files.createDirectories(dir);
        GuestSnapshot snapshot = new GuestSnapshot(dir);
        try (InputStream gz = new GZIPInputStream(resource("guest.vmstate.gz"))) {
            Files.copy(gz, snapshot.vmstate());
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode manifest;
        try (InputStream in = resource("manifest.json")) {
            manifest = (ObjectNode) json.readTree(in);
        }
        try (RandomAccessFile memory = new RandomAccessFile(snapshot.memory().toFile(), "rw")) {
            memory.setLength(manifest.path("memoryBytes").asLong());
        }
        manifest.set("image", json.valueToTree(GuestSnapshot.imageOf(config)));
        json.writeValue(snapshot.manifestFile().toFile(), manifest);
        return snapshot;
    }

    private static InputStream resource(String name) {
        InputStream in = GoldenSnapshotTest.class.getResourceAsStream(FIXTURE + name);
        assertThat(in)
                .as("fixture %s%s (GoldenSnapshotMaker writes it)", FIXTURE, name)
                .isNotNull();
        return in;
    }
}
