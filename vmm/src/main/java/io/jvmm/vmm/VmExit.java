package io.jvmm.vmm;

import java.time.Instant;

/**
 * How a VM ended.
 *
 * @param guestInitiated the guest shut itself down (power off from inside), as reported by the monitor
 * @param monitorExitCode the monitor process's exit code (128 plus the signal when a signal ended it)
 */
public record VmExit(Instant at, boolean guestInitiated, int monitorExitCode, String reason) {
    /**
     * What a monitor's exit code means when a signal ended it, for the reason an operator reads (empty
     * otherwise). SIGBUS is the one worth explaining: the kernel raises it when a page of a file the monitor
     * maps as guest memory cannot be allocated, which on a tmpfs or disk means the file system is full.
     */
    public static String signalMeaning(int exitCode) {
        return switch (exitCode) {
            case 128 + 6 -> " (SIGABRT: the monitor aborted)";
            case 128 + 7 ->
                " (SIGBUS: a page of a file it maps as guest memory could not be allocated; is that file system full?)";
            case 128 + 9 -> " (SIGKILL)";
            case 128 + 11 -> " (SIGSEGV: the monitor crashed)";
            case 128 + 15 -> " (SIGTERM)";
            default -> "";
        };
    }
}
