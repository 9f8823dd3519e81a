package io.jvmm.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class VmStateTest {
    @Test
    void theLegalPathsOfAVm() {
        assertThat(VmState.CREATED.to(VmState.BOOTING, "start")).isEqualTo(VmState.BOOTING);
        assertThat(VmState.BOOTING.to(VmState.RUNNING, "start")).isEqualTo(VmState.RUNNING);
        assertThat(VmState.RUNNING.to(VmState.PAUSED, "pause")).isEqualTo(VmState.PAUSED);
        assertThat(VmState.PAUSED.to(VmState.RUNNING, "resume")).isEqualTo(VmState.RUNNING);
        assertThat(VmState.RUNNING.to(VmState.STOPPING, "stop")).isEqualTo(VmState.STOPPING);
        assertThat(VmState.STOPPING.to(VmState.STOPPED, "exit")).isEqualTo(VmState.STOPPED);
    }

    @Test
    void illegalTransitionsAreRefusedNamingTheAction() {
        assertThatThrownBy(() -> VmState.CREATED.to(VmState.PAUSED, "pause"))
                .isInstanceOf(VmException.IllegalTransition.class)
                .hasMessage("cannot pause: VM is created");
        assertThatThrownBy(() -> VmState.STOPPED.to(VmState.RUNNING, "resume"))
                .hasMessage("cannot resume: VM is stopped");
        assertThatThrownBy(() -> VmState.RUNNING.to(VmState.BOOTING, "start"))
                .hasMessage("cannot start: VM is running");
        for (VmState end : new VmState[] {VmState.STOPPED, VmState.FAILED}) {
            for (VmState any : VmState.values()) {
                assertThat(end.canGoTo(any)).as(end + " -> " + any).isFalse();
            }
        }
    }

    @Test
    void aVmEndsOnceAndKeepsItsFirstEnd() {
        assertThat(VmState.BOOTING.ended(VmState.FAILED)).isEqualTo(VmState.FAILED);
        assertThat(VmState.PAUSED.ended(VmState.STOPPED)).isEqualTo(VmState.STOPPED);
        assertThat(VmState.FAILED.ended(VmState.STOPPED)).isEqualTo(VmState.FAILED);
        assertThatThrownBy(() -> VmState.RUNNING.ended(VmState.PAUSED)).isInstanceOf(IllegalArgumentException.class);
    }
}
