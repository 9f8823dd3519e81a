package io.jvmm.task;

import java.util.Locale;

/**
 * What a sandbox tells whoever watches it (the shim's metrics): how its VM started and how long that took,
 * whether a template served the start, each step its shutdown took, and every call it made to its guest's
 * agent. Called on the sandbox's own threads: an observer returns at once and never throws.
 */
public interface SandboxObserver {
    /** Watches nothing. */
    SandboxObserver NONE = new SandboxObserver() {};

    /** How a VM came up. */
    enum Start {
        /** Booted cold, kernel to agent. */
        BOOT,
        /** Restored from a template (an agent-ready guest saved once). */
        TEMPLATE,
        /** Restored from a container's checkpoint. */
        CHECKPOINT;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The VM is up: {@code monitorNanos} until its monitor ran the guest, then {@code agentNanos} to the agent's answer. */
    default void vmStarted(Start how, long monitorNanos, long agentNanos) {}

    /** With templates on, whether a template served this start ({@code false}: booted cold instead). */
    default void templateLookup(boolean hit) {}

    /**
     * CreateSandbox made the sandbox for pod {@code pod} ({@link PodName#NONE} when it came without CRI's pod
     * config). Told once, before the VM starts.
     */
    default void podCreated(PodName pod) {}

    /** One step of the shutdown ladder (agent, power-button, sigterm, sigkill) and its result (exited, continued, action_failed). */
    default void shutdownStep(String step, String result) {}

    /**
     * {@code observer} with whatever it throws caught and dropped: the sandbox's boot, stop and agent calls
     * must not fail because a metric did (as the ttrpc server treats its CallObserver).
     */
    static SandboxObserver guarded(SandboxObserver observer) {
        if (observer == NONE) {
            return NONE;
        }
        return new SandboxObserver() {
            @Override
            public void vmStarted(Start how, long monitorNanos, long agentNanos) {
                run(() -> observer.vmStarted(how, monitorNanos, agentNanos));
            }

            @Override
            public void templateLookup(boolean hit) {
                run(() -> observer.templateLookup(hit));
            }

            @Override
            public void shutdownStep(String step, String result) {
                run(() -> observer.shutdownStep(step, result));
            }

            @Override
            public void podCreated(PodName pod) {
                run(() -> observer.podCreated(pod));
            }

            @Override
            public void agentCall(String method, boolean ok, long nanos) {
                run(() -> observer.agentCall(method, ok, nanos));
            }

            private static void run(Runnable told) {
                try {
                    told.run();
                } catch (RuntimeException e) {
                    // a metric that failed is no reason for a sandbox to
                }
            }
        };
    }

    /** One request to the guest's agent (not the waits for an exit): its method, whether it succeeded, and its round trip. */
    default void agentCall(String method, boolean ok, long nanos) {}

    /** Tells {@code first}, then {@code second} (the shim's metrics and its traces), each {@link #guarded}. */
    static SandboxObserver both(SandboxObserver first, SandboxObserver second) {
        SandboxObserver a = guarded(first);
        SandboxObserver b = guarded(second);
        return new SandboxObserver() {
            @Override
            public void vmStarted(Start how, long monitorNanos, long agentNanos) {
                a.vmStarted(how, monitorNanos, agentNanos);
                b.vmStarted(how, monitorNanos, agentNanos);
            }

            @Override
            public void templateLookup(boolean hit) {
                a.templateLookup(hit);
                b.templateLookup(hit);
            }

            @Override
            public void shutdownStep(String step, String result) {
                a.shutdownStep(step, result);
                b.shutdownStep(step, result);
            }

            @Override
            public void podCreated(PodName pod) {
                a.podCreated(pod);
                b.podCreated(pod);
            }

            @Override
            public void agentCall(String method, boolean ok, long nanos) {
                a.agentCall(method, ok, nanos);
                b.agentCall(method, ok, nanos);
            }
        };
    }
}
