package io.jvmm.task;

import io.jvmm.task.process.ExecProcess;
import io.jvmm.task.process.ExecState;
import io.jvmm.task.process.ProcessStatus;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** What an exec's operations do in the guest once {@link ExecState} allows them. */
final class ExecWork implements ExecState.Work {
    private static final Logger LOG = LogManager.getLogger(ExecWork.class);

    private final SandboxLifecycle sandbox;
    private final ContainerWork container;
    private final ExecProcess exec;
    private final ProcessStatus initStatus;

    /** {@code initStatus}: the container's init's status when the operation was asked for. */
    ExecWork(SandboxLifecycle sandbox, ContainerWork container, ExecProcess exec, ProcessStatus initStatus) {
        this.sandbox = sandbox;
        this.container = container;
        this.exec = exec;
        this.initStatus = initStatus;
    }

    /**
     * Runs only in a running container. runc also starts an exec in a created one (its namespaces exist);
     * a VM's guest refuses that, and a paused VM cannot run it (docs/architecture.md).
     */
    @Override
    public void start() {
        if (initStatus != ProcessStatus.RUNNING) {
            throw TaskException.failedPrecondition(
                    "cannot start an exec in a " + initStatus.adjective() + " container");
        }
        container.startExec(exec);
    }

    @Override
    public void signal(int signal, boolean all) {
        sandbox.agent().signal(exec.containerId(), exec.execId(), signal, all);
    }

    @Override
    public void resize(int width, int height) {
        if (!exec.stdio().terminal()) {
            throw TaskException.failedPrecondition("process " + exec.execId() + " has no terminal");
        }
        if (initStatus == ProcessStatus.PAUSED) {
            throw TaskException.failedPrecondition(
                    "cannot resize the terminal of a process in a paused container: its VM is paused");
        }
        sandbox.agent().resizePty(exec.containerId(), exec.execId(), width, height);
    }

    /** The guest forgets a started exec too (so its id can be reused); a guest that is gone has nothing to forget. */
    @Override
    public void delete(boolean started) {
        exec.io().ifPresent(io -> io.close());
        if (!started || !sandbox.isBooted()) {
            return;
        }
        try {
            sandbox.agent().deleteProcess(exec.containerId(), exec.execId());
        } catch (RuntimeException e) {
            LOG.warn("the guest could not forget exec {}: {}", exec.eventId(), e.getMessage());
        }
    }
}
