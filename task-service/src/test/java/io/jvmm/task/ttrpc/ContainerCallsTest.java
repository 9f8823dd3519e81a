package io.jvmm.task.ttrpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Empty;
import io.jvmm.api.containerd.task.v3.KillRequest;
import io.jvmm.api.containerd.task.v3.ShutdownRequest;
import org.junit.jupiter.api.Test;

class ContainerCallsTest {
    @Test
    void aTaskRequestsContainerIsItsIdField() {
        assertThat(ContainerCalls.idOf(
                        KillRequest.newBuilder().setId("c1").setExecId("e1").build()))
                .isEqualTo("c1");
        assertThat(ContainerCalls.idOf(ShutdownRequest.newBuilder().setId("c2").build()))
                .isEqualTo("c2");
        // A message without a string id names none.
        assertThat(ContainerCalls.idOf(Empty.getDefaultInstance())).isEmpty();
    }
}
