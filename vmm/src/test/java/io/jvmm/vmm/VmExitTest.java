package io.jvmm.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class VmExitTest {
    @Test
    void aSignalsExitCodeIsNamedAndSigbusPointsAtTheFileSystem() {
        assertThat(VmExit.signalMeaning(135)).contains("SIGBUS").contains("file system full");
        assertThat(VmExit.signalMeaning(137)).isEqualTo(" (SIGKILL)");
        assertThat(VmExit.signalMeaning(1)).isEmpty();
        assertThat(VmExit.signalMeaning(0)).isEmpty();
    }
}
