package io.jvmm.task.process;

import java.util.Locale;

/**
 * What State reports about a process. The rules of what each state allows live in {@link InitState} and
 * {@link ExecState}; this is only their name.
 */
public enum ProcessStatus {
    CREATED,
    RUNNING,
    PAUSED,
    STOPPED,
    DELETED;

    public String adjective() {
        return name().toLowerCase(Locale.ROOT);
    }
}
