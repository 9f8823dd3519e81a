package io.jvmm.vmm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The unprivileged user the VMM and its vsock helper run as (Kata's {@code rootless}, Firecracker's
 * jailer uid): a bug in QEMU's device model then gives the guest an account that owns nothing but its
 * own VM's sockets, with no capabilities and no way to gain any ({@code NoNewPrivs}). QEMU is started
 * as that user already (its sandbox's {@code elevateprivileges=deny} forbids the set*uid that
 * {@code -runas} would make later), so what it opens it opens as that user; {@code /dev/kvm} through the
 * {@code kvm} group where the host has one.
 */
public record VmmUser(String name, int uid, int gid, List<Integer> groups) {
    private static final Path SETPRIV = Path.of("/usr/bin/setpriv");

    public VmmUser {
        groups = List.copyOf(groups);
    }

    /** The user {@code name} from the host's account files, with its group and {@code kvm}'s (if any) as supplementary groups. */
    public static VmmUser lookup(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
                String[] f = line.split(":", -1);
                if (f.length >= 4 && f[0].equals(name)) {
                    int uid = Integer.parseInt(f[2]);
                    int gid = Integer.parseInt(f[3]);
                    if (uid == 0) {
                        throw new VmException.InvalidConfig("VMM user " + name + " is root: name an unprivileged user");
                    }
                    List<Integer> groups = new ArrayList<>(List.of(gid));
                    groupId("kvm").filter(g -> g != gid).ifPresent(groups::add);
                    return new VmmUser(name, uid, gid, groups);
                }
            }
        } catch (IOException | NumberFormatException e) {
            throw new VmException.InvalidConfig(
                    "cannot read the host's accounts for VMM user " + name + ": " + e.getMessage());
        }
        throw new VmException.InvalidConfig(
                "VMM user " + name + " does not exist (packaging/shim/install.sh creates it;"
                        + " vmmUser \"\" in the runtime configuration runs QEMU as root)");
    }

    private static Optional<Integer> groupId(String group) throws IOException {
        for (String line : Files.readAllLines(Path.of("/etc/group"))) {
            String[] f = line.split(":", -1);
            if (f.length >= 3 && f[0].equals(group)) {
                return Optional.of(Integer.parseInt(f[2]));
            }
        }
        return Optional.empty();
    }

    /**
     * The command that runs the rest of a command line as this user: its uid and groups, no capability
     * inherited, bounding set emptied, NoNewPrivs, and killed when the shim dies (the parent-death signal
     * is cleared by a change of user, so it is set again after it).
     */
    public List<String> dropPrivileges() {
        StringBuilder g = new StringBuilder();
        groups.forEach(id -> g.append(g.isEmpty() ? "" : ",").append(id));
        return List.of(
                SETPRIV.toString(),
                "--reuid=" + uid,
                "--regid=" + gid,
                "--groups=" + g,
                "--inh-caps=-all",
                "--bounding-set=-all",
                "--no-new-privs",
                "--pdeathsig",
                "KILL",
                "--");
    }

    /** Gives {@code file} to this user (a disk or socket its VMM opens after dropping its privileges). */
    public void own(Path file) throws IOException {
        Files.setAttribute(file, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(file, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
    }

    /** Whether {@code file} (itself, not a link's target) belongs to this user. */
    public boolean owns(Path file) throws IOException {
        return ((Integer) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS)) == uid;
    }

    /** Gives {@code path} to this user's group, with {@code mode} (a directory it must enter, a socket it connects to). */
    public void share(Path path, String mode) throws IOException {
        Files.setAttribute(path, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(mode));
    }
}
