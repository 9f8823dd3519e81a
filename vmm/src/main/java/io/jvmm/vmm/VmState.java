package io.jvmm.vmm;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The life of a VM. Every change goes through {@link #to}, which refuses what cannot happen. */
public enum VmState {
    CREATED,
    BOOTING,
    RUNNING,
    PAUSED,
    STOPPING,
    STOPPED,
    FAILED;

    private Set<VmState> next() {
        return switch (this) {
            case CREATED -> EnumSet.of(BOOTING, STOPPED, FAILED);
            case BOOTING -> EnumSet.of(RUNNING, STOPPING, STOPPED, FAILED);
            case RUNNING -> EnumSet.of(PAUSED, STOPPING, STOPPED, FAILED);
            case PAUSED -> EnumSet.of(RUNNING, STOPPING, STOPPED, FAILED);
            case STOPPING -> EnumSet.of(STOPPED, FAILED);
            case STOPPED, FAILED -> EnumSet.noneOf(VmState.class);
        };
    }

    public boolean canGoTo(VmState target) {
        return next().contains(target);
    }

    /** Returns {@code target}, or throws {@link VmException.IllegalTransition} naming the action refused. */
    public VmState to(VmState target, String action) {
        if (!canGoTo(target)) {
            throw new VmException.IllegalTransition("cannot " + action + ": VM is " + name().toLowerCase(Locale.ROOT));
        }
        return target;
    }

    /**
     * The state after the VM ended as {@code end} (STOPPED or FAILED): a VM that already ended keeps its end
     * (a failed boot cleaned up afterwards stays FAILED); otherwise through {@link #to}.
     */
    public VmState ended(VmState end) {
        if (!end.isFinal()) {
            throw new IllegalArgumentException(end + " is not an end");
        }
        return isFinal() ? this : to(end, "end");
    }

    public boolean isFinal() {
        return this == STOPPED || this == FAILED;
    }
}
