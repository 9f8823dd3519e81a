package io.jvmm.task.process;

import io.jvmm.task.io.StdioConfig;
import java.util.function.UnaryOperator;

/** An exec process of a container; its state is an {@link ExecState}, and it reports its container's pause. */
public final class ExecProcess extends TaskProcess {
    private final InitProcess init;
    private final byte[] processJson;
    private ExecState state = new ExecState.Created();

    public ExecProcess(InitProcess init, String execId, StdioConfig stdio, byte[] processJson) {
        super(init.containerId(), execId, stdio);
        this.init = init;
        this.processJson = processJson.clone();
    }

    /** Its OCI process spec (JSON). */
    public byte[] processJson() {
        return processJson.clone();
    }

    public synchronized ExecState state() {
        return state;
    }

    /** A running exec of a paused container is paused with it (as runc's exec reports). */
    @Override
    public ProcessStatus status() {
        ProcessStatus own;
        synchronized (this) {
            own = state.status();
        }
        return own == ProcessStatus.RUNNING && init.status() == ProcessStatus.PAUSED ? ProcessStatus.PAUSED : own;
    }

    public synchronized void apply(UnaryOperator<ExecState> operation) {
        state = operation.apply(state);
    }

    @Override
    void stateExited() {
        state = state.exited();
    }
}
