package io.jvmm.vmm.qemu;

import io.jvmm.vmm.GuestNic;
import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.VmmJail;
import io.jvmm.vmm.VmmUser;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The qemu-system-x86_64 command line for a jvmm VM: q35, shared memfd memory (vhost-user needs it),
 * direct kernel boot, QMP on a unix socket, vhost-user vsock and virtiofs, the runtime disk read-only.
 */
final class QemuCommandLine {
    static final String BINARY = "qemu-system-x86_64";
    static final String SANDBOX = "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny";

    private QemuCommandLine() {}

    /** Root ports the QMP path plugs its devices into (q35's root bus takes no hot-plugged devices). */
    static final List<String> ROOT_PORTS = List.of("rp-vsock", "rp-runtime", "rp-fs");

    /**
     * The minimal, paused variant: machine, memory, kernel and QMP only, plus empty PCIe root ports;
     * the devices are added over QMP before {@code cont} (see {@link DeviceSetup#QMP}).
     */
    static List<String> buildPaused(VmConfig config, boolean kvm) {
        return buildPaused(config, kvm, false);
    }

    /** The same, its memory on huge pages when {@code hugeMemory} (the pool was found to hold it). */
    static List<String> buildPaused(VmConfig config, boolean kvm, boolean hugeMemory) {
        List<String> args = new ArrayList<>(base(config, kvm, hugeMemory));
        args.add("-S");
        for (int i = 0; i < ROOT_PORTS.size(); i++) {
            args.addAll(List.of(
                    "-device",
                    "pcie-root-port,id=" + ROOT_PORTS.get(i) + ",bus=pcie.0,chassis=" + (i + 1) + ",slot=" + (i + 1)));
        }
        return args;
    }

    private static List<String> base(VmConfig config, boolean kvm, boolean hugeMemory) {
        List<String> args = machine(config, kvm, memfd(config, hugeMemory));
        config.nic()
                .ifPresent(nic -> args.addAll(
                        switch (nic) {
                            case GuestNic.PodTap tap ->
                                List.of(
                                        "-netdev",
                                        netdevOption(nic),
                                        "-device",
                                        "virtio-net-pci,netdev=net0,mac=" + tap.mac());
                            case GuestNic.HostUser user ->
                                List.of("-netdev", netdevOption(nic), "-device", "virtio-net-pci,netdev=net0");
                        }));
        return args;
    }

    /** The guest's card backend, id net0, as QMP's netdev_add takes it (type first). */
    static Map<String, Object> netdev(GuestNic nic) {
        Map<String, Object> netdev = new LinkedHashMap<>();
        switch (nic) {
            case GuestNic.PodTap tap -> {
                netdev.put("type", "tap");
                netdev.put("id", "net0");
                netdev.put("ifname", tap.tap());
                netdev.put("script", "no");
                netdev.put("downscript", "no");
            }
            case GuestNic.HostUser user -> {
                netdev.put("type", "user");
                netdev.put("id", "net0");
            }
        }
        return netdev;
    }

    /** The same backend as a -netdev option: {@code tap,id=net0,ifname=...}. */
    private static String netdevOption(GuestNic nic) {
        StringBuilder option = new StringBuilder();
        netdev(nic)
                .forEach((key, value) -> option.append(option.isEmpty() ? "" : ",")
                        .append(key.equals("type") ? value : key + "=" + value));
        return option.toString();
    }

    /** Guest memory in a shared memfd: what vhost-user back-ends (vsock, virtiofs) need to map. */
    static String memfd(VmConfig config) {
        return memfd(config, false);
    }

    /**
     * The same memfd on the host's default-size huge pages ({@code huge}): the kernel reserves them from its
     * pool when QEMU maps the memfd, which fails outright if the pool cannot hold it (the caller checks
     * first, under the pool's lock).
     */
    static String memfd(VmConfig config, boolean huge) {
        return "memory-backend-memfd,id=mem,size=" + config.memoryMib() + "M,share=on" + (huge ? ",hugetlb=on" : "");
    }

    /**
     * Guest memory in {@code file}: shared (the VM writes the file: a VM that will be saved, or a clone's
     * own copy), or private (a copy-on-write mapping of a template's memory: clones share its pages).
     */
    static String memoryFile(VmConfig config, Path file, boolean shared) {
        return "memory-backend-file,id=mem,size=" + config.memoryMib() + "M,mem-path=" + file + ",share="
                + (shared ? "on" : "off");
    }

    /**
     * The emulator's cache of translated code, in MiB (TCG only). QEMU's default, 1 GiB, fills with what the
     * guest ever ran: 150 MiB of a pod's VM restored from a template was this cache, against 41 MiB of guest
     * memory it had copied (docs/benchmarks.md). A full cache is flushed and refilled with what runs next.
     */
    static final int TCG_CODE_CACHE_MIB = 64;

    /** The machine without devices that come and go: CPU, memory, kernel, QMP, console, entropy. */
    private static List<String> machine(VmConfig config, boolean kvm, String memory) {
        String mem = config.memoryMib() + "M";
        List<String> args = new ArrayList<>();
        if (config.nic().orElse(null) instanceof GuestNic.PodTap tap) {
            // The tap lives in the pod's network namespace: QEMU opens it there (nsenter execs QEMU, same pid).
            args.addAll(List.of("nsenter", "--net=" + tap.netns(), "--"));
        }
        args.addAll(List.of(
                BINARY,
                "-machine",
                "q35",
                "-accel",
                kvm ? "kvm" : "tcg,tb-size=" + TCG_CODE_CACHE_MIB,
                "-cpu",
                config.cpuModel().orElse(kvm ? "host" : "max"),
                "-smp",
                Integer.toString(config.vcpus()),
                "-m",
                mem,
                "-object",
                memory,
                "-numa",
                "node,memdev=mem",
                "-kernel",
                config.kernel().toString(),
                "-initrd",
                config.initrd().toString(),
                "-append",
                kernelArgs(config),
                "-qmp",
                "unix:" + config.qmpSocket() + ",server=on,wait=off",
                // The console is QEMU's standard output, which the shim drains into a bounded log.
                "-serial",
                "stdio",
                // Entropy from the host at every boot (the guest loads virtio-rng).
                "-object",
                "rng-random,id=rng,filename=/dev/urandom",
                "-device",
                "virtio-rng-pci,rng=rng",
                // The guest hands back the memory it does not use (free page reporting), so a VM restored
                // from a template, whose load touches every page, shrinks to what the guest really holds.
                "-device",
                "virtio-balloon-pci,free-page-reporting=on",
                "-no-reboot",
                "-nodefaults",
                "-display",
                "none",
                // seccomp: no obsolete system calls, no set*uid, no fork/exec, no scheduler or affinity
                // changes. Whatever a device-model bug gives the guest, it cannot spawn a program.
                "-sandbox",
                SANDBOX));
        return args;
    }

    /** Root ports of the snapshot layout: the virtiofs share and the network card are plugged into them. */
    static final String FS_PORT = "rp-fs";

    static final String NET_PORT = "rp-net";
    /** The virtio-serial port the agent is reached through in the snapshot layout. */
    static final String AGENT_PORT_NAME = "jvmm.agent";

    /**
     * The snapshot layout: on the command line only what QEMU 7.2 can migrate and every snapshot of the
     * same configuration has (machine, runtime disk, the agent's virtio-serial port), plus empty root
     * ports; the virtiofs share (which it cannot migrate) and the network card (which differs per VM) are
     * plugged over QMP once the guest runs. No vhost-user device is on it, so its memory can be a
     * private mapping ({@code memory}). With {@code incoming}, QEMU waits for the device state
     * ({@code -incoming defer}: the migration capabilities are set first).
     */
    static List<String> buildSnapshottable(VmConfig config, boolean kvm, String memory, boolean incoming) {
        List<String> args = machine(config, kvm, memory);
        List<String> ports = List.of(FS_PORT, NET_PORT);
        for (int i = 0; i < ports.size(); i++) {
            args.addAll(List.of(
                    "-device",
                    "pcie-root-port,id=" + ports.get(i) + ",bus=pcie.0,chassis=" + (i + 1) + ",slot=" + (i + 1)));
        }
        config.runtimeDisk()
                .ifPresent(disk -> args.addAll(List.of(
                        "-drive",
                        "file=" + disk + ",if=none,id=runtime,format=raw,readonly=on",
                        "-device",
                        "virtio-blk-pci,drive=runtime")));
        args.addAll(List.of(
                "-device", "virtio-serial-pci,id=serial0,max_ports=2",
                "-chardev", "socket,id=agent,path=" + agentSerialSocket(config) + ",server=on,wait=off",
                "-device", "virtserialport,bus=serial0.0,chardev=agent,name=" + AGENT_PORT_NAME));
        // Booting: paused (-S) until the devices are plugged, so the guest finds them at boot, not in the
        // middle of it. Restoring: QEMU waits for the state and the devices come after cont.
        args.add("-S");
        if (incoming) {
            args.addAll(List.of("-incoming", "defer"));
        }
        return args;
    }

    static Path agentSerialSocket(VmConfig config) {
        return config.vmmDir().resolve("agent-serial.sock");
    }

    static List<String> build(VmConfig config, boolean kvm) {
        return build(config, kvm, false);
    }

    /** The same, its memory on huge pages when {@code hugeMemory}. */
    static List<String> build(VmConfig config, boolean kvm, boolean hugeMemory) {
        List<String> args = new ArrayList<>(base(config, kvm, hugeMemory));
        args.addAll(List.of(
                "-chardev",
                "socket,id=vsock,path=" + config.vhostVsockSocket(),
                "-device",
                "vhost-user-vsock-pci,chardev=vsock"));
        config.runtimeDisk().ifPresent(disk -> {
            args.addAll(List.of(
                    "-drive",
                    "file=" + disk + ",if=none,id=runtime,format=raw,readonly=on",
                    "-device",
                    "virtio-blk-pci,drive=runtime"));
        });
        config.shareDir().ifPresent(dir -> {
            args.addAll(List.of(
                    "-chardev",
                    "socket,id=fs,path=" + config.virtiofsSocket(),
                    "-device",
                    "vhost-user-fs-pci,chardev=fs,tag=jvmm"));
        });
        return args;
    }

    /**
     * {@code command} run as {@code user} in {@code jail} (after {@code nsenter}, which needs the shim's
     * privileges to enter a pod's network namespace); as it is without a user.
     */
    static List<String> asUser(Optional<VmmUser> user, VmmJail jail, List<String> command) {
        if (user.isEmpty()) {
            return command;
        }
        int at = command.getFirst().equals("nsenter") ? command.indexOf("--") + 1 : 0;
        List<String> dropped = new ArrayList<>(user.get().dropPrivileges());
        dropped.addAll(command.subList(at, command.size()));
        List<String> wrapped = new ArrayList<>(command.subList(0, at));
        wrapped.addAll(jail.wrap(dropped));
        return wrapped;
    }

    static String kernelArgs(VmConfig config) {
        // panic=-1 with -no-reboot: a guest panic ends QEMU instead of hanging. no_timer_check: the
        // kernel's early check that the timer interrupt arrives fails on a starved vCPU (ten TCG guests
        // booting on two cores: one panicked in start_kernel in a full run) and is meaningless for a VM.
        String base = "console=ttyS0 quiet panic=-1 reboot=k no_timer_check";
        return config.extraKernelArgs().isEmpty() ? base : base + " " + config.extraKernelArgs();
    }
}
