package io.jvmm.task.process;

import io.jvmm.task.io.StdioConfig;
import java.util.function.UnaryOperator;

/** A container's init process; its state is an {@link InitState}. */
public final class InitProcess extends TaskProcess {
    private InitState state;

    /** {@code restored}: restored from a checkpoint, it already runs in the guest. */
    public InitProcess(String containerId, StdioConfig stdio, boolean restored) {
        super(containerId, "", stdio);
        this.state = restored ? new InitState.CreatedFromCheckpoint() : new InitState.Created();
    }

    public synchronized InitState state() {
        return state;
    }

    @Override
    public synchronized ProcessStatus status() {
        return state.status();
    }

    /** Applies one operation: its state decides, does the work or refuses, and names the next state. */
    public synchronized void apply(UnaryOperator<InitState> operation) {
        state = operation.apply(state);
    }

    @Override
    void stateExited() {
        state = state.exited();
    }
}
