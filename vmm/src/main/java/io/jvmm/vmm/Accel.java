package io.jvmm.vmm;

/** How the guest's CPU runs: KVM when it works on this host, TCG emulation otherwise. */
public enum Accel {
    /** Probe KVM once (boot a tiny guest with a deadline), use it if it works, else TCG. */
    AUTO,
    KVM,
    TCG
}
