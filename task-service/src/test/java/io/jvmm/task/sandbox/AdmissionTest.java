package io.jvmm.task.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jvmm.task.TaskException;
import io.jvmm.ttrpc.Code;
import java.io.IOException;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdmissionTest {
    private static final String MEMINFO = """
            MemTotal:       24578904 kB
            MemFree:         1048576 kB
            MemAvailable:    2097152 kB
            Buffers:          123456 kB
            """;

    @Test
    void availableMemoryIsTheHostsOrTheCgroupsWhicheverIsLess() {
        assertThat(Admission.memory(MEMINFO, OptionalLong.empty())).isEqualTo(new Admission.Memory(2048, "the host"));
        assertThat(Admission.memory(MEMINFO, OptionalLong.of(512L << 20)))
                .isEqualTo(new Admission.Memory(512, "the shim's memory cgroup"));
        assertThat(Admission.memory(MEMINFO, OptionalLong.of(64L << 30)).availableMib())
                .isEqualTo(2048);
        assertThat(Admission.memory(MEMINFO, OptionalLong.of(-5)).availableMib())
                .isZero();
    }

    @Test
    void aVmThatDoesNotFitIsRefusedWithTheNumbers() {
        Admission.requireMemory(1024, new Admission.Memory(2048, "the host"));
        assertThatThrownBy(() -> Admission.requireMemory(2000, new Admission.Memory(2048, "the host")))
                .isInstanceOf(TaskException.class)
                .hasMessage("a VM of 2000 MiB needs about 2160 MiB of host memory (160 MiB of it for QEMU and the"
                        + " shim); the host has 2048 MiB available")
                .extracting(e -> ((TaskException) e).statusCode())
                .isEqualTo(Code.RESOURCE_EXHAUSTED);
    }

    @Test
    void aFileLargerThanTheFreeSpaceIsRefusedBeforeItIsWritten(@TempDir Path dir) throws Exception {
        Admission.requireSpace(dir.resolve("not/yet/there"), 1 << 20, "a small file");
        assertThatThrownBy(() -> Admission.requireSpace(dir.resolve("disks"), Long.MAX_VALUE / 2, "a root disk"))
                .isInstanceOf(TaskException.class)
                .hasMessageStartingWith("a root disk needs 4398046511104 MiB in " + dir.resolve("disks"))
                .hasMessageContaining("MiB free")
                .extracting(e -> ((TaskException) e).statusCode())
                .isEqualTo(Code.RESOURCE_EXHAUSTED);
        assertThat(dir.resolve("disks")).doesNotExist();
    }

    @Test
    void aWriteThatFailedWhereTheRoomIsNowShortIsReportedAsTheShortage(@TempDir Path dir) {
        IOException cause = new IOException("monitor exited with 135");

        assertThat(Admission.shortage(dir, 1 << 20, "a template of 1 MiB", cause))
                .as("a failure with room to spare is the failure itself")
                .isEmpty();
        TaskException shortage = Admission.shortage(dir, Long.MAX_VALUE / 2, "a template of huge size", cause)
                .orElseThrow();
        assertThat(shortage.statusCode()).isEqualTo(Code.RESOURCE_EXHAUSTED);
        assertThat(shortage)
                .hasMessageStartingWith("a template of huge size could not be written: its file system (")
                .hasMessageContaining("MiB free, less than the 4398046511104 MiB it may need")
                .hasMessageEndingWith("(monitor exited with 135)")
                .hasCause(cause);
    }
}
