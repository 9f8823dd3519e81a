package io.jvmm.task.process;

import java.time.Instant;

/** How a process ended: its exit code (128 + n after signal n) and when. */
public record ExitStatus(int status, Instant exitedAt) {
    /** What containerd reports for a process whose end nobody saw (its VM died): killed. */
    public static ExitStatus killedNow() {
        return new ExitStatus(128 + 9, Instant.now());
    }
}
