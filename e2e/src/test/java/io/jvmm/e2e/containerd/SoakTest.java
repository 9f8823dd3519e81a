package io.jvmm.e2e.containerd;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The suite's short soak (scripts/soak.sh runs the long one): 50 jvmm containers through a private
 * containerd, 20 in a row and 3 batches of 10 at once, and 30 execs in one long-lived container; every run
 * succeeds, nothing is left (the census), and containerd's and the shim's open descriptors end where they
 * started.
 */
@WithPrivateContainerd(deletesTemplates = true)
class SoakTest {
    /** Descriptors a Go runtime or JVM may open on its own over a run (pollers, a log file rotated, a GC thread). */
    private static final int FD_SLACK = 8;

    private static PrivateContainerd containerd;
    private static JvmmRuntime jvmm;

    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void fiftyContainersAndThirtyExecsLeaveNothingAndLeakNoDescriptors() throws Exception {
        Soak.Report report = Soak.run(containerd, jvmm, 20, 3, 10, 0, 30, 0);
        report.print();

        assertThat(report.failures()).isEmpty();
        assertThat(report.leftovers()).isEmpty();
        assertThat(report.containerd().getLast().fds())
                .as("containerd's descriptors after the soak, against after the warm-up: %s", report.containerd())
                .isLessThanOrEqualTo(report.containerd().getFirst().fds() + FD_SLACK);
        assertThat(report.shim()).hasSizeGreaterThan(1);
        assertThat(report.shim().getLast().fds())
                .as("the shim's descriptors after 30 execs, against before: %s", report.shim())
                .isLessThanOrEqualTo(report.shim().getFirst().fds() + FD_SLACK);
    }
}
