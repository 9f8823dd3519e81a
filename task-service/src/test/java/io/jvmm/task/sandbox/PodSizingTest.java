package io.jvmm.task.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PodSizingTest {
    private static final VmSize CONFIGURED = new VmSize(1, 512);

    @Test
    void aPodWithoutLimitsGetsTheConfiguredSize() {
        assertThat(PodSizing.size(PodResources.NONE, CONFIGURED, 8)).isEqualTo(CONFIGURED);
        assertThat(PodSizing.size(PodResources.of(0, 0, 0), CONFIGURED, 8)).isEqualTo(CONFIGURED);
    }

    @Test
    void memoryIsTheLimitPlusTheGuestOverheadRoundedUpToMib() {
        PodResources pod = PodResources.of(0, 0, 1024L * 1024 * 1024 + 1);
        assertThat(PodSizing.size(pod, CONFIGURED, 8).memoryMib()).isEqualTo(1025 + PodSizing.GUEST_OVERHEAD_MIB);
    }

    @Test
    void aSmallLimitNeverShrinksTheConfiguredVm() {
        PodResources pod = PodResources.of(50_000, 100_000, 64L * 1024 * 1024);
        assertThat(PodSizing.size(pod, CONFIGURED, 8)).isEqualTo(new VmSize(1, 512));
    }

    @Test
    void cpusAreTheQuotaOverThePeriodRoundedUpAndCappedByTheHost() {
        assertThat(PodSizing.size(PodResources.of(250_000, 100_000, 0), CONFIGURED, 8)
                        .vcpus())
                .isEqualTo(3);
        assertThat(PodSizing.size(PodResources.of(800_000, 100_000, 0), CONFIGURED, 2)
                        .vcpus())
                .isEqualTo(2);
        assertThat(PodSizing.size(PodResources.of(250_000, 0, 0), CONFIGURED, 8).vcpus())
                .isEqualTo(1);
    }
}
