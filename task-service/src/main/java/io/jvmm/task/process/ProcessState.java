package io.jvmm.task.process;

import io.jvmm.task.TaskException;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The life of a task process (a container's init or an exec), as containerd sees it. Every change goes
 * through {@link #to}; a change the table does not allow is refused with FAILED_PRECONDITION and the
 * wording of containerd's runc shim ("cannot start a running process").
 */
public enum ProcessState {
    CREATED, RUNNING, PAUSED, STOPPED, DELETED;

    private Set<ProcessState> next() {
        return switch (this) {
            case CREATED -> EnumSet.of(RUNNING, STOPPED, DELETED);
            case RUNNING -> EnumSet.of(PAUSED, STOPPED);
            case PAUSED -> EnumSet.of(RUNNING, STOPPED);
            case STOPPED -> EnumSet.of(DELETED);
            case DELETED -> EnumSet.noneOf(ProcessState.class);
        };
    }

    public boolean canBecome(ProcessState target) {
        return next().contains(target);
    }

    /** The state after {@code action} moves this process to {@code target}, or the refusal. */
    public ProcessState to(ProcessState target, String action) {
        if (!canBecome(target)) {
            throw TaskException.failedPrecondition("cannot " + action + " a " + adjective() + " process");
        }
        return target;
    }

    public String adjective() {
        return name().toLowerCase(Locale.ROOT);
    }
}
