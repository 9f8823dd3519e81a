package io.jvmm.vmm;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One VM, driven only through its monitor's control socket. A shim owns exactly one. Implemented
 * once per monitor (QEMU over QMP; Firecracker and Cloud Hypervisor over their HTTP APIs).
 */
public interface VirtualMachine extends AutoCloseable {
    /**
     * The deadline for one call on the monitor's socket that the monitor answers at once (QMP commands,
     * device hot-plug, API requests): long only so that a stuck monitor is an error, not a hang.
     */
    Duration MONITOR_CALL = Duration.ofSeconds(30);

    VmConfig config();

    VmState state();

    /** Starts the helpers and the monitor and lets the guest run; returns once the monitor reports it running. */
    void start(Duration timeout);

    void pause(Duration timeout);

    void resume(Duration timeout);

    /**
     * Saves the running guest as {@code target} through the monitor's snapshot API (QEMU migration to a
     * file, Firecracker /snapshot/create, Cloud Hypervisor vm.snapshot), crash-safe: written into
     * {@code <target>.partial}, then {@link GuestSnapshot#commit} fsyncs it, writes the manifest and renames
     * it into place. The VM is left paused. {@link VmmType#restore} starts a new VM from it.
     */
    void saveSnapshot(GuestSnapshot target, Duration timeout);

    /**
     * Hot-plugs a writable disk image into the running guest, found there by {@code serial} (a container's
     * root file system when the VM has no virtiofs share). Monitors or layouts that cannot answer
     * {@link VmException.InvalidConfig}.
     */
    default void plugDisk(Path image, String serial, Duration timeout) {
        throw new VmException.InvalidConfig("this VM cannot take a disk after boot");
    }

    /**
     * Hot-plugs one of a pod's container disks (writable), found in the guest by {@code serial}: a VM
     * without a share takes any number, and each goes with {@link #unplugPodDisk} when its container is
     * deleted. Monitors or layouts that cannot answer {@link VmException.InvalidConfig}.
     */
    default void plugPodDisk(Path image, String serial, Duration timeout) {
        throw new VmException.InvalidConfig("this VM cannot take a pod's disks");
    }

    /** Unplugs a disk {@link #plugPodDisk} plugged (none with {@code serial}: nothing happens). */
    default void unplugPodDisk(String serial, Duration timeout) {
        throw new VmException.InvalidConfig("this VM cannot take a pod's disks");
    }

    /** The ACPI power button (QEMU system_powerdown): asks the guest to shut down. */
    void pressPowerButton(Duration timeout);

    /** Completes when the monitor process has exited, for whatever reason. */
    CompletableFuture<VmExit> exitFuture();

    /** The monitor's pid, once started. */
    long monitorPid();

    /** The pids of the monitor and its helper processes that are running now. */
    List<Long> processIds();

    /** The VM's own cgroup on the host, when the host let us make one. */
    default Optional<Path> cgroupPath() {
        return Optional.empty();
    }

    /** Resident memory of the monitor and its helpers, in bytes (sum of their RSS). */
    long hostMemoryBytes();

    /** Proportional memory of the monitor and its helpers, in bytes (the guest's memory counted once). */
    default long hostMemoryPssBytes() {
        long total = 0;
        for (long pid : processIds()) {
            total += HostTools.pssBytes(pid);
        }
        return total;
    }

    /** CPU time the monitor and its helpers have used on the host, in microseconds: {user, system}. */
    default long[] hostCpuMicros() {
        long[] total = new long[2];
        for (long pid : processIds()) {
            long[] one = HostTools.cpuMicros(pid);
            total[0] += one[0];
            total[1] += one[1];
        }
        return total;
    }

    /**
     * Completes, with a reason naming it, when a helper process (virtiofsd, vhost-device-vsock) ends while
     * the VM still runs: the guest's files or agent are then gone for good (neither device reconnects).
     * A monitor without helpers never completes it.
     */
    default CompletableFuture<String> helperLost() {
        return new CompletableFuture<>();
    }

    /** Sends SIGTERM to the monitor (QEMU then exits cleanly); does not wait. */
    void terminateMonitor();

    /** The last lines the guest wrote to its console, for error messages. */
    String consoleTail(int lines);

    /**
     * Completes when the guest's console shows {@code text} (the agent's readiness announcement). This
     * default looks at the console's last lines every 20 ms, for monitors that write the console file
     * themselves; cancelled once the VM has exited.
     */
    default CompletableFuture<Void> consoleSays(String text) {
        CompletableFuture<Void> seen = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            while (!seen.isDone()) {
                if (exitFuture().isDone()) {
                    seen.cancel(false);
                } else if (consoleTail(200).contains(text)) {
                    seen.complete(null);
                } else {
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        seen.cancel(false);
                    }
                }
            }
        });
        return seen;
    }

    /** Stops every process of this VM at once and removes its sockets. Idempotent. */
    @Override
    void close();
}
