package io.jvmm.vmm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A root of its own for a VMM process (Firecracker's jailer, done with util-linux): in a private mount
 * namespace, an empty tmpfs becomes the process's root, holding read-only binds of {@code /usr} (the
 * binary, its libraries and firmware), the few devices it opens, the guest image's files, and its VM's
 * state directory; it is entered with {@code chroot} and the privileges are dropped after it
 * ({@link VmmUser#dropPrivileges()}). A device-model bug then finds neither the host's files nor other
 * sandboxes', and the namespace, with every mount in it, ends with the process: nothing to clean up.
 * Later mounts on the host (containers' roots) do not propagate into it.
 *
 * @param root     an empty directory the tmpfs is mounted on (inside the namespace only)
 * @param files    files the VMM reads, bound read-only at their own paths
 * @param writable files and directories it writes, bound at their own paths
 */
public record VmmJail(Path root, List<Path> files, List<Path> writable) {
    private static final List<String> DEVICES = List.of(
            "/dev/null",
            "/dev/zero",
            "/dev/full",
            "/dev/random",
            "/dev/urandom",
            "/dev/kvm",
            "/dev/net/tun",
            "/dev/vhost-net",
            "/dev/vhost-vsock");
    /** The top-level names a merged-/usr system makes symlinks into /usr, and an older one directories. */
    private static final List<String> SYSTEM_DIRS = List.of("bin", "sbin", "lib", "lib64", "lib32", "libx32");

    public VmmJail {
        files = List.copyOf(files);
        writable = List.copyOf(writable);
    }

    /**
     * {@code command} (its program first; the privilege drop before it) run inside this jail:
     * {@code unshare --mount}, a shell that builds the root, then {@code chroot}.
     */
    public List<String> wrap(List<String> command) {
        // umask 022: the shim's own (077) would make the directories leading to the binds impassable to the VMM's user.
        StringBuilder script = new StringBuilder("set -e\numask 022\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\nJ=")
                .append(quote(root.toString()))
                .append('\n');
        script.append("mount -t tmpfs -o mode=0755,nosuid jvmm-jail \"$J\"\n");
        bindDirectory(script, Path.of("/usr"));
        for (String name : SYSTEM_DIRS) {
            Path top = Path.of("/", name);
            if (Files.isSymbolicLink(top)) {
                try {
                    script.append("ln -s ")
                            .append(quote(Files.readSymbolicLink(top).toString()))
                            .append(" \"$J\"/")
                            .append(name)
                            .append('\n');
                } catch (IOException e) {
                    throw new VmException.BootFailed("cannot read the link " + top + ": " + e.getMessage(), e);
                }
            } else if (Files.isDirectory(top, LinkOption.NOFOLLOW_LINKS)) {
                bindDirectory(script, top);
            }
        }
        for (String device : DEVICES) {
            if (Files.exists(Path.of(device))) {
                bindFile(script, Path.of(device), false);
            }
        }
        files.forEach(f -> bindFile(script, f, true));
        for (Path w : writable) {
            if (Files.isDirectory(w)) {
                script.append("mkdir -p \"$J\"").append(quote(w.toString())).append('\n');
                script.append("mount --bind ")
                        .append(quote(w.toString()))
                        .append(" \"$J\"")
                        .append(quote(w.toString()))
                        .append('\n');
            } else {
                bindFile(script, w, false);
            }
        }
        script.append("exec chroot \"$J\" \"$@\"\n");
        List<String> wrapped = new ArrayList<>(List.of(
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "--",
                "/bin/sh",
                "-c",
                script.toString(),
                "jvmm-jail"));
        wrapped.addAll(command);
        return wrapped;
    }

    private static void bindDirectory(StringBuilder script, Path dir) {
        String target = "\"$J\"" + quote(dir.toString());
        script.append("mkdir -p ").append(target).append('\n');
        script.append("mount --rbind ")
                .append(quote(dir.toString()))
                .append(' ')
                .append(target)
                .append('\n');
        script.append("mount -o remount,bind,ro,nosuid ").append(target).append('\n');
    }

    /**
     * Binds {@code file} at its own path, unless the jail already shows it through a tree bound before
     * (an image installed under /usr/local is seen, read-only, through /usr).
     */
    private static void bindFile(StringBuilder script, Path file, boolean readOnly) {
        String target = "\"$J\"" + quote(file.toString());
        script.append("if [ ! -e ").append(target).append(" ]; then\n");
        script.append("mkdir -p \"$(dirname ").append(target).append(")\"\n");
        script.append("touch ").append(target).append('\n');
        script.append("mount --bind ")
                .append(quote(file.toString()))
                .append(' ')
                .append(target)
                .append('\n');
        if (readOnly) {
            script.append("mount -o remount,bind,ro ").append(target).append('\n');
        }
        script.append("fi\n");
    }

    /** A word for the shell: single-quoted, a quote inside closed, escaped and reopened. */
    static String quote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
