package io.jvmm.vmm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Where the host programs a VM needs are: installed by scripts/install-vm-deps.sh. */
public final class HostTools {
    private HostTools() {}

    public static Path vhostDeviceVsock() {
        return find(
                "jvmm.vhostDeviceVsock",
                List.of(
                        Path.of("/var/cache/jvmm/vhost-device-vsock/usr/bin/vhost-device-vsock"),
                        Path.of("/usr/bin/vhost-device-vsock"),
                        Path.of("/usr/libexec/vhost-device-vsock")),
                "vhost-device-vsock");
    }

    public static Path virtiofsd() {
        return find(
                "jvmm.virtiofsd",
                List.of(
                        Path.of("/usr/lib/qemu/virtiofsd"),
                        Path.of("/usr/libexec/virtiofsd"),
                        Path.of("/usr/bin/virtiofsd")),
                "virtiofsd");
    }

    public static Path firecracker() {
        return findOrName(
                "jvmm.firecracker",
                List.of(Path.of("/usr/bin/firecracker"), Path.of("/usr/local/bin/firecracker")),
                "firecracker");
    }

    public static Path cloudHypervisor() {
        return findOrName(
                "jvmm.cloudHypervisor",
                List.of(Path.of("/usr/bin/cloud-hypervisor"), Path.of("/usr/local/bin/cloud-hypervisor")),
                "cloud-hypervisor");
    }

    /** Like {@link #find} but falls back to the bare name (resolved on PATH when launched). */
    private static Path findOrName(String property, List<Path> candidates, String name) {
        String configured = System.getProperty(property);
        if (configured != null) {
            return Path.of(configured);
        }
        return candidates.stream().filter(Files::isExecutable).findFirst().orElse(Path.of(name));
    }

    private static Path find(String property, List<Path> candidates, String name) {
        String configured = System.getProperty(property);
        if (configured != null) {
            return Path.of(configured);
        }
        return candidates.stream()
                .filter(Files::isExecutable)
                .findFirst()
                .orElseThrow(() -> new VmException.BootFailed(
                        name + " not found (looked in " + candidates + "); run scripts/install-vm-deps.sh", null));
    }

    /** Resident set size of a process in bytes, 0 if it is gone. */
    public static long rssBytes(long pid) {
        return procKib(pid, "status", "VmRSS:") * 1024;
    }

    /**
     * Proportional set size of a process in bytes (0 if it is gone): pages it shares with others count by
     * their share, which matters for a VM's guest memory, a memfd that QEMU and its vhost-user helpers all map.
     */
    public static long pssBytes(long pid) {
        return procKib(pid, "smaps_rollup", "Pss:") * 1024;
    }

    /** The kB figure of the line starting with {@code key} in /proc/<pid>/<file>; 0 if the process or line is gone. */
    private static long procKib(long pid, String file, String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), file))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    /** User and system CPU time a process has used, in microseconds ({user, system}); zeros if it is gone. */
    public static long[] cpuMicros(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // Fields after the command name (which may hold spaces) start at its closing parenthesis.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticksPerSecond = 100; // USER_HZ, fixed at 100 on Linux for /proc
            return new long[] {
                Long.parseLong(f[11]) * 1_000_000 / ticksPerSecond, Long.parseLong(f[12]) * 1_000_000 / ticksPerSecond
            };
        } catch (IOException | RuntimeException e) {
            return new long[] {0, 0};
        }
    }

    /** Waits until a file exists or the process dies or the deadline passes. */
    public static void awaitFile(Path path, SupervisedProcess owner, long deadlineNanos) {
        while (!Files.exists(path)) {
            if (!owner.isAlive()) {
                throw new VmException.BootFailed(
                        owner.name() + " exited (" + owner.exitValue() + ") before creating " + path.getFileName()
                                + ": " + owner.logTail(),
                        null);
            }
            if (System.nanoTime() > deadlineNanos) {
                throw new VmException.Timeout(owner.name() + " did not create " + path.getFileName() + " in time");
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VmException.BootFailed("interrupted", e);
            }
        }
    }
}
