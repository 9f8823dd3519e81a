package io.jvmm.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SandboxObserverTest {
    @Test
    void aGuardedObserverIsToldEverythingAndWhatItThrowsGoesNoFurther() {
        List<String> told = new ArrayList<>();
        SandboxObserver throwing = new SandboxObserver() {
            @Override
            public void vmStarted(Start how, long monitorNanos, long agentNanos) {
                told.add("started " + how.label());
                throw new IllegalStateException("broken metric");
            }

            @Override
            public void templateLookup(boolean hit) {
                told.add("template " + hit);
                throw new IllegalStateException("broken metric");
            }

            @Override
            public void shutdownStep(String step, String result) {
                told.add(step + " " + result);
                throw new IllegalStateException("broken metric");
            }

            @Override
            public void agentCall(String method, boolean ok, long nanos) {
                told.add(method + " " + ok);
                throw new IllegalStateException("broken metric");
            }

            @Override
            public void podCreated(PodName pod) {
                told.add("pod " + pod.name());
                throw new IllegalStateException("broken metric");
            }
        };
        SandboxObserver guarded = SandboxObserver.guarded(throwing);
        assertThatCode(() -> {
                    guarded.vmStarted(SandboxObserver.Start.CHECKPOINT, 1, 2);
                    guarded.templateLookup(true);
                    guarded.shutdownStep("sigterm", "exited");
                    guarded.agentCall("Ping", false, 3);
                    guarded.podCreated(new PodName("web", "shop"));
                })
                .doesNotThrowAnyException();
        assertThat(told)
                .containsExactly("started checkpoint", "template true", "sigterm exited", "Ping false", "pod web");
        assertThat(SandboxObserver.guarded(SandboxObserver.NONE)).isSameAs(SandboxObserver.NONE);
    }

    /** Two observers (the shim's metrics and traces) are each told everything, even when the first throws. */
    @Test
    void bothObserversAreToldEverythingWhateverTheFirstThrows() {
        List<String> told = new ArrayList<>();
        SandboxObserver throwing = new SandboxObserver() {
            @Override
            public void vmStarted(Start how, long monitorNanos, long agentNanos) {
                throw new IllegalStateException("broken metric");
            }

            @Override
            public void agentCall(String method, boolean ok, long nanos) {
                throw new IllegalStateException("broken metric");
            }

            @Override
            public void podCreated(PodName pod) {
                throw new IllegalStateException("broken metric");
            }
        };
        SandboxObserver recording = new SandboxObserver() {
            @Override
            public void vmStarted(Start how, long monitorNanos, long agentNanos) {
                told.add("started " + how.label() + " " + monitorNanos + " " + agentNanos);
            }

            @Override
            public void templateLookup(boolean hit) {
                told.add("template " + hit);
            }

            @Override
            public void shutdownStep(String step, String result) {
                told.add(step + " " + result);
            }

            @Override
            public void agentCall(String method, boolean ok, long nanos) {
                told.add(method + " " + ok + " " + nanos);
            }

            @Override
            public void podCreated(PodName pod) {
                told.add("pod " + pod.namespace() + "/" + pod.name());
            }
        };
        SandboxObserver both = SandboxObserver.both(throwing, recording);
        assertThatCode(() -> {
                    both.vmStarted(SandboxObserver.Start.BOOT, 1, 2);
                    both.templateLookup(false);
                    both.shutdownStep("agent", "exited");
                    both.agentCall("CreateContainer", true, 3);
                    both.podCreated(new PodName("web", "shop"));
                })
                .doesNotThrowAnyException();
        assertThat(told)
                .containsExactly(
                        "started boot 1 2", "template false", "agent exited", "CreateContainer true 3", "pod shop/web");
    }
}
