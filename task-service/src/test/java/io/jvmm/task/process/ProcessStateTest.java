package io.jvmm.task.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jvmm.task.TaskException;
import io.jvmm.ttrpc.Code;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProcessStateTest {
    @ParameterizedTest
    @CsvSource({"CREATED,RUNNING", "CREATED,STOPPED", "CREATED,DELETED", "RUNNING,PAUSED", "RUNNING,STOPPED",
            "PAUSED,RUNNING", "PAUSED,STOPPED", "STOPPED,DELETED"})
    void allowedTransitions(ProcessState from, ProcessState to) {
        assertThat(from.to(to, "change")).isEqualTo(to);
    }

    @ParameterizedTest
    @CsvSource({"RUNNING,RUNNING,start,cannot start a running process", "STOPPED,RUNNING,start,cannot start a stopped process",
            "RUNNING,DELETED,delete,cannot delete a running process", "PAUSED,DELETED,delete,cannot delete a paused process",
            "STOPPED,PAUSED,pause,cannot pause a stopped process", "DELETED,STOPPED,stop,cannot stop a deleted process",
            "CREATED,PAUSED,pause,cannot pause a created process"})
    void illegalTransitionsAreFailedPreconditionsInTheRuncShimsWords(ProcessState from, ProcessState to, String action, String message) {
        assertThatThrownBy(() -> from.to(to, action)).isInstanceOf(TaskException.class).hasMessage(message)
                .extracting(e -> ((TaskException) e).statusCode()).isEqualTo(Code.FAILED_PRECONDITION);
    }

    @Test
    void anExitIsRecordedOnceAndStopsTheProcess() {
        TaskProcess p = new TaskProcess("c", "", new io.jvmm.task.io.StdioConfig("", "", "", false), new byte[0]);
        p.transition(ProcessState.RUNNING, "start");
        assertThat(p.claimExitReport()).isTrue();
        assertThat(p.claimExitReport()).isFalse();
        assertThat(p.exited(new ExitStatus(3, java.time.Instant.EPOCH))).isTrue();
        assertThat(p.exited(new ExitStatus(4, java.time.Instant.EPOCH))).isFalse();
        assertThat(p.state()).isEqualTo(ProcessState.STOPPED);
        assertThat(p.exitFuture().join().status()).isEqualTo(3);
    }
}
