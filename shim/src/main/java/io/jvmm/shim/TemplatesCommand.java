package io.jvmm.shim;

import io.jvmm.task.sandbox.VmTemplates;
import io.jvmm.vmm.GuestSnapshot;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code containerd-shim-jvmm-v2 templates <list|pin|unpin|delete|prune> [template|--all]}: the registry of
 * VM templates under the runtime's state root (not a containerd action; for operators). A template is
 * named by its key, the directory below {@code <stateRoot>/t}. A pinned template is kept by
 * {@code delete --all} and {@code prune} (which deletes those whose guest image is gone); a template a
 * running VM maps is never deleted.
 */
final class TemplatesCommand {
    private final Path stateRoot;
    private final PrintStream out;
    private final PrintStream err;

    TemplatesCommand(Path stateRoot, PrintStream out, PrintStream err) {
        this.stateRoot = stateRoot;
        this.out = out;
        this.err = err;
    }

    int run(List<String> args) throws IOException {
        String verb = args.isEmpty() ? "list" : args.getFirst();
        List<String> names = args.size() > 1 ? args.subList(1, args.size()) : List.of();
        return switch (verb) {
            case "list" -> list();
            case "prune" -> prune();
            case "pin", "unpin", "delete" -> {
                if (names.isEmpty()) {
                    err.println("templates " + verb + ": name a template (see templates list)"
                            + (verb.equals("delete") ? " or --all" : ""));
                    yield 2;
                }
                yield verb.equals("delete") ? delete(names) : pin(names, verb.equals("pin"));
            }
            default -> {
                err.println("unknown templates command " + verb + " (expected list, pin, unpin, delete or prune)");
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
