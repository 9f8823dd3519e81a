package io.jvmm.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.TtrpcException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RootfsDiskTest {
    @Test
    void aScsiDisksSerialIsReadFromItsUnitSerialPage() {
        byte[] serial = "jvmm-0a1b2c3d".getBytes(StandardCharsets.US_ASCII);
        byte[] page = new byte[4 + serial.length + 3];
        page[1] = (byte) 0x80;
        page[3] = (byte) serial.length;
        System.arraycopy(serial, 0, page, 4, serial.length);

        assertThat(RootfsDisk.unitSerial(page)).contains("jvmm-0a1b2c3d");
        // Another page, a truncated header, or a length past the end: no serial, or what is there.
        page[1] = (byte) 0x83;
        assertThat(RootfsDisk.unitSerial(page)).isEmpty();
        assertThat(RootfsDisk.unitSerial(new byte[] {0, (byte) 0x80, 0})).isEmpty();
        assertThat(RootfsDisk.unitSerial(new byte[] {0, (byte) 0x80, 0, 50, 'a', 'b'}))
                .contains("ab");
    }

    @Test
    void aVirtioDiskIsFoundByItsSerialFileAndAScsiDiskByItsPage(@TempDir Path sys) throws Exception {
        Path vda = Files.createDirectories(sys.resolve("vda"));
        Files.writeString(vda.resolve("serial"), "jvmm-rootfs\n");
        Path sda = Files.createDirectories(sys.resolve("sda/device"));
        Files.write(sda.resolve("vpd_pg80"), new byte[] {0, (byte) 0x80, 0, 4, 'j', 'v', 'm', 'm'});
        Path nothing = Files.createDirectories(sys.resolve("loop0"));

        assertThat(RootfsDisk.serialOf(vda)).contains("jvmm-rootfs");
        assertThat(RootfsDisk.serialOf(sys.resolve("sda"))).contains("jvmm");
        assertThat(RootfsDisk.serialOf(nothing)).isEmpty();
    }

    @Test
    void theHostNamesAPlaceBelowTheDisksDirectoryAndNothingElse() {
        Path fallback = Path.of("/run/jvmm/agent/bundles/c1/rootfs");
        assertThat(RootfsDisk.mountPoint("", fallback)).isEqualTo(fallback);
        assertThat(RootfsDisk.mountPoint("/run/jvmm/disks/jvmm-0a1b2c3d", fallback))
                .isEqualTo(Path.of("/run/jvmm/disks/jvmm-0a1b2c3d"));
        for (String bad : new String[] {
            "/run/jvmm/disks/../../etc", "/run/jvmm/disks/a/b", "/etc", "run/jvmm/disks/a", "/run/jvmm/disks/a b"
        }) {
            assertThatThrownBy(() -> RootfsDisk.mountPoint(bad, fallback))
                    .isInstanceOfSatisfying(
                            TtrpcException.class, e -> assertThat(e.code()).isEqualTo(Code.INVALID_ARGUMENT));
        }
    }

    @Test
    void aVolumeOutsideTheVolumesDirectoryOrWithABadModeIsRefusedBeforeAnythingIsMade() {
        for (String bad : new String[] {"/run/jvmm/volumes/../x", "/tmp/x", "/run/jvmm/volumes/"}) {
            assertThatThrownBy(() -> RootfsDisk.makeVolume(bad, 0755))
                    .isInstanceOfSatisfying(
                            TtrpcException.class, e -> assertThat(e.code()).isEqualTo(Code.INVALID_ARGUMENT));
        }
        assertThatThrownBy(() -> RootfsDisk.makeVolume("/run/jvmm/volumes/v", 010000))
                .isInstanceOfSatisfying(
                        TtrpcException.class, e -> assertThat(e.code()).isEqualTo(Code.INVALID_ARGUMENT));
        assertThat(Path.of("/run/jvmm/volumes/v")).doesNotExist();
    }
}
