package io.jvmm.vmm;

import java.time.Instant;

/**
 * How a VM ended.
 *
 * @param guestInitiated the guest shut itself down (power off from inside), as reported by the monitor
 * @param monitorExitCode the monitor process's exit code (negative when it was killed by a signal)
 */
public record VmExit(Instant at, boolean guestInitiated, int monitorExitCode, String reason) {}
