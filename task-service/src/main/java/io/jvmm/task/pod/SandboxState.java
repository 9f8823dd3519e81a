package io.jvmm.task.pod;

import java.util.EnumSet;
import java.util.Set;

/**
 * The life of the pod sandbox a shim serves through containerd's Sandbox service. The VM runs only in
 * READY; STOPPED keeps what containers left (their mounts) until SHUTDOWN removes everything.
 */
public enum SandboxState {
    /** CreateSandbox recorded the pod; no VM yet. */
    CREATED,
    /** StartSandbox booted the VM; containers can be created. */
    READY,
    /** The VM has stopped: StopSandbox, or it ended on its own. */
    STOPPED,
    /** ShutdownSandbox removed everything; the shim is about to exit. */
    SHUTDOWN;

    private Set<SandboxState> next() {
        return switch (this) {
            case CREATED -> EnumSet.of(READY, STOPPED, SHUTDOWN);
            case READY -> EnumSet.of(STOPPED, SHUTDOWN);
            case STOPPED -> EnumSet.of(SHUTDOWN);
            case SHUTDOWN -> EnumSet.noneOf(SandboxState.class);
        };
    }

    public boolean canBecome(SandboxState target) {
        return next().contains(target);
    }

    /** The state as CRI names it in SandboxStatus (runtime.v1.PodSandboxState). */
    public String criName() {
        return this == READY ? "SANDBOX_READY" : "SANDBOX_NOTREADY";
    }
}
