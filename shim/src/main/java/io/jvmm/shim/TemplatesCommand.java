package io.jvmm.shim;

import io.jvmm.task.sandbox.SandboxSettings;
import io.jvmm.task.sandbox.TemplateLimits;
import io.jvmm.task.sandbox.VmSize;
import io.jvmm.task.sandbox.VmTemplates;
import io.jvmm.vmm.GuestSnapshot;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * {@code containerd-shim-jvmm-v2 templates <list|make|pin|unpin|delete|prune> [template|--all|options]}: the registry of
 * VM templates under the runtime's state root (not a containerd action; for operators). A template is
 * named by its key, the directory below {@code <stateRoot>/t}. A pinned template is kept by
 * {@code delete --all} and {@code prune} (which deletes those whose guest image is gone); a template a
 * running VM maps is never deleted.
 */
final class TemplatesCommand {
    private final Path stateRoot;
    private final TemplateLimits limits;
    private final Supplier<SandboxSettings> settings;
    private final PrintStream out;
    private final PrintStream err;

    /** {@code settings}: the configuration's, read only by {@code make} (the others need the state root alone). */
    TemplatesCommand(
            Path stateRoot,
            TemplateLimits limits,
            Supplier<SandboxSettings> settings,
            PrintStream out,
            PrintStream err) {
        this.stateRoot = stateRoot;
        this.limits = limits;
        this.settings = settings;
        this.out = out;
        this.err = err;
    }

    int run(List<String> args) throws IOException {
        String verb = args.isEmpty() ? "list" : args.getFirst();
        List<String> names = args.size() > 1 ? args.subList(1, args.size()) : List.of();
        return switch (verb) {
            case "list" -> list();
            case "prune" -> prune();
            case "make" -> make(names);
            case "pin", "unpin", "delete" -> {
                if (names.isEmpty()) {
                    err.println("templates " + verb + ": name a template (see templates list)"
                            + (verb.equals("delete") ? " or --all" : ""));
                    yield 2;
                }
                yield verb.equals("delete") ? delete(names) : pin(names, verb.equals("pin"));
            }
            default -> {
                err.println(
                        "unknown templates command " + verb + " (expected list, make, pin, unpin, delete or prune)");
                yield 2;
            }
        };
    }

    private int list() throws IOException {
        for (GuestSnapshot t : VmTemplates.list(stateRoot)) {
            GuestSnapshot.Manifest m = t.manifest();
            out.printf(
                    "%s\t%d vCPU\t%d MiB\t%s\tformat %d\t%s %s\t%s%s%n",
                    name(t),
                    m.vcpus(),
                    m.memoryMib(),
                    m.accel(),
                    m.format(),
                    m.monitor().toLowerCase(Locale.ROOT),
                    m.monitorVersion(),
                    m.creator(),
                    (VmTemplates.pinned(t) ? "\tpinned" : "") + (t.inUse() ? "\tin use" : ""));
        }
        return 0;
    }

    /**
     * Makes the template of the configuration, or of the size and kernel arguments given ({@code --vcpus N
     * --memory-mib M --kernel-args ARGS}: what a sandbox that found it missing passes), unless it is there;
     * waits while another maker makes it. Operators run it ahead of the first sandbox (or after an upgrade).
     */
    private int make(List<String> options) throws IOException {
        SandboxSettings s = settings.get();
        int vcpus = s.vcpus();
        int memoryMib = s.memoryMib();
        String kernelArgs = s.extraKernelArgs();
        int i = 0;
        while (i < options.size()) {
            String option = options.get(i++);
            if (option.equals("--background")) { // a flag: no value follows
                lowerSessionPriority();
                continue;
            }
            if (i >= options.size()) {
                err.println("templates make: " + option + " needs a value");
                return 2;
            }
            String value = options.get(i++);
            try {
                switch (option) {
                    case "--vcpus" -> vcpus = Integer.parseInt(value);
                    case "--memory-mib" -> memoryMib = Integer.parseInt(value);
                    case "--kernel-args" -> kernelArgs = value;
                    default -> {
                        err.println("templates make: unknown option " + option
                                + " (expected --background, --vcpus, --memory-mib, --kernel-args)");
                        return 2;
                    }
                }
            } catch (NumberFormatException e) {
                err.println("templates make: " + option + " needs a whole number, not " + value);
                return 2;
            }
        }
        VmSize size;
        try {
            size = new VmSize(vcpus, memoryMib);
        } catch (IllegalArgumentException e) {
            err.println("templates make: " + e.getMessage());
            return 2;
        }
        long begin = System.nanoTime();
        GuestSnapshot t = VmTemplates.ensure(s.withExtraKernelArgs(kernelArgs), size);
        out.printf(
                Locale.ROOT,
                "%s\t%d vCPU\t%d MiB\tready after %.1f s%n",
                name(t),
                size.vcpus(),
                size.memoryMib(),
                (System.nanoTime() - begin) / 1e9);
        return 0;
    }

    /**
     * {@code --background} (a maker a sandbox started beside its own boot): this session at the lowest CPU
     * priority. With the scheduler's autogroups on (the usual default) a session competes with the others as
     * one group whatever its processes' nice values, so the group's own nice is what lets the sandbox's
     * boot go first; QEMU, started by this process, is in the same session.
     */
    private void lowerSessionPriority() {
        try {
            Files.writeString(Path.of("/proc/self/autogroup"), "19");
        } catch (IOException e) {
            // no autogroups (a kernel without them, or switched off): nice alone applies
        }
    }

    private int pin(List<String> names, boolean pin) throws IOException {
        int status = 0;
        for (String name : names) {
            GuestSnapshot t = find(name);
            if (t == null) {
                status = 1;
            } else {
                VmTemplates.pin(t, pin);
            }
        }
        return status;
    }

    /** Deletes the templates whose guest image is gone ({@link VmTemplates#deleteStale}); lists what it kept. */
    private int prune() throws IOException {
        for (GuestSnapshot t : VmTemplates.deleteStale(stateRoot)) {
            out.println("deleted " + name(t) + " (its guest image is gone)");
        }
        for (GuestSnapshot t : VmTemplates.deleteBeyondLimits(stateRoot, limits)) {
            out.println("deleted " + name(t) + " (beyond the configuration's template limits)");
        }
        for (GuestSnapshot t : VmTemplates.list(stateRoot)) {
            if (VmTemplates.isStale(t)) {
                out.println("kept " + name(t) + ", whose guest image is gone: "
                        + (VmTemplates.pinned(t) ? "pinned" : "in use by a running VM"));
            }
        }
        return 0;
    }

    private int delete(List<String> names) throws IOException {
        boolean all = names.equals(List.of("--all"));
        List<GuestSnapshot> targets = all
                ? VmTemplates.list(stateRoot).stream()
                        .filter(t -> !VmTemplates.pinned(t))
                        .toList()
                : null;
        if (!all) {
            targets = new ArrayList<>();
            for (String name : names) {
                GuestSnapshot t = find(name);
                if (t == null) {
                    return 1;
                }
                if (VmTemplates.pinned(t)) {
                    err.println("template " + name + " is pinned (templates unpin " + name + " first)");
                    return 1;
                }
                targets.add(t);
            }
        }
        int status = 0;
        for (GuestSnapshot t : targets) {
            if (t.deleteUnlessInUse()) {
                VmTemplates.pin(t, false);
                out.println("deleted " + name(t));
            } else {
                err.println("template " + name(t) + " is in use by a running VM: not deleted");
                status = 1;
            }
        }
        return status;
    }

    private GuestSnapshot find(String name) throws IOException {
        for (GuestSnapshot t : VmTemplates.list(stateRoot)) {
            if (name(t).equals(name)) {
                return t;
            }
        }
        err.println("no template " + name + " under " + stateRoot);
        return null;
    }

    private static String name(GuestSnapshot t) {
        return t.dir().getParent().getFileName().toString();
    }
}
