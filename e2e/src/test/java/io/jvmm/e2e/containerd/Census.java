package io.jvmm.e2e.containerd;

import io.jvmm.e2e.Leftovers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What containers run through one private containerd left on the host, counted only among what they could
 * have made (another containerd or shim on the host is never counted): processes naming the containerd's
 * directory or jvmm's state root, shim sockets of the ids run, mounts below either directory, sandbox state
 * directories, containerd's task bundles, containers and snapshots, VM cgroup leaves below containerd's
 * own cgroup and cgroups named for an id run, network links named {@code jvmm*}; and the resources of the long-lived processes: open
 * descriptors and resident memory.
 */
record Census(
        PrivateContainerd containerd,
        JvmmRuntime jvmm,
        String namespace,
        Set<String> linksBefore,
        int snapshotsBefore) {
    /** A census of what containers run in {@code namespace} from now on leave (the host's links noted now). */
    static Census from(PrivateContainerd containerd, JvmmRuntime jvmm, String namespace) throws IOException {
        return new Census(
                containerd,
                jvmm,
                namespace,
                links(),
                entries(snapshots(containerd)).size());
    }

    /** Everything left of containers {@code ids}; empty when nothing is. */
    List<String> leftovers(Collection<String> ids) throws IOException, InterruptedException {
        List<String> left = new ArrayList<>();
        long containerdPid = containerd.process().pid();
        for (ProcessHandle p : Leftovers.processesMentioning(containerd.dir().toString())) {
            if (p.pid() != containerdPid) {
                left.add("process " + p.pid() + " " + p.info().commandLine().orElse("?"));
            }
        }
        left.addAll(jvmm.sandboxLeftovers());
        for (String id : ids) {
            Path socket = containerd.shimSocket(namespace, id);
            if (Files.exists(socket)) {
                left.add("shim socket " + socket + " of " + id);
            }
        }
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String mountPoint = line.split(" ")[4];
            if (mountPoint.startsWith(containerd.dir().toString())) {
                left.add("mount " + mountPoint);
            }
        }
        Path bundles =
                containerd.dir().resolve("state/io.containerd.runtime.v2.task").resolve(namespace);
        entries(bundles).forEach(b -> left.add("task bundle " + b));
        // The images' own layers stay (one snapshot per layer of each image imported).
        int snapshots = entries(snapshots(containerd)).size();
        if (snapshots > snapshotsBefore) {
            left.add(snapshots - snapshotsBefore + " snapshots beyond the images'");
        }
        String containers =
                containerd.ctr(null, "-n", namespace, "containers", "ls", "-q").stdout();
        containers.lines().filter(ids::contains).forEach(c -> left.add("container " + c));
        for (Path c : cgroups(ids)) {
            left.add("cgroup " + c + describe(c));
        }
        for (String link : links()) {
            if (!linksBefore.contains(link)) {
                left.add("network link " + link);
            }
        }
        return left;
    }

    /** The host's network links named {@code jvmm*} (a pod's tap lives in its namespace; none should be here). */
    static Set<String> links() throws IOException {
        Set<String> names = new TreeSet<>();
        for (Path link : entries(Path.of("/sys/class/net"))) {
            String name = link.getFileName().toString();
            // The CRI network's bridge is the private containerd's, made by the first pod, removed at its close.
            if (name.startsWith("jvmm") && !name.equals(CriNetwork.BRIDGE)) {
                names.add(name);
            }
        }
        return names;
    }

    private static Path snapshots(PrivateContainerd containerd) {
        return containerd.dir().resolve("root/io.containerd.snapshotter.v1.native/snapshots");
    }

    /** {@link #leftovers} once the host has settled (a shim still exiting, containerd's snapshot GC): up to 30 s. */
    List<String> settled(Collection<String> ids) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        List<String> left = leftovers(ids);
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(500);
            left = leftovers(ids);
        }
        return left;
    }

    /**
     * VM cgroup leaves below containerd's own cgroup, and v1 or v2 cgroups named for one of {@code ids}
     * (runc's, at {@code <controller>/<namespace>/<id>}).
     */
    private List<Path> cgroups(Collection<String> ids) throws IOException {
        List<Path> left = new ArrayList<>(containerd.vmCgroups());
        Path root = Path.of("/sys/fs/cgroup");
        if (!Files.isDirectory(root)) {
            return left;
        }
        try (Stream<Path> walk = Files.walk(root, 4)) {
            walk.filter(d -> ids.contains(d.getFileName().toString()) && Files.isDirectory(d))
                    .forEach(left::add);
        } catch (UncheckedIOException e) {
            // A cgroup removed while walking: count again.
            return cgroups(ids);
        }
        return left;
    }

    /** What keeps a cgroup: its processes (command and state) and whether the kernel counts it populated. */
    private static String describe(Path cgroup) {
        try {
            StringBuilder b = new StringBuilder(" (");
            for (String line : Files.readAllLines(cgroup.resolve("cgroup.events"))) {
                if (line.startsWith("populated")) {
                    b.append(line);
                }
            }
            for (String pid : Files.readAllLines(cgroup.resolve("cgroup.procs"))) {
                Path proc = Path.of("/proc", pid.strip());
                String state = Files.readAllLines(proc.resolve("status")).stream()
                        .filter(l -> l.startsWith("State:") || l.startsWith("PPid:"))
                        .map(String::strip)
                        .reduce((a, c) -> a + " " + c)
                        .orElse("");
                b.append(", ")
                        .append(pid.strip())
                        .append(' ')
                        .append(ProcessHandle.of(Long.parseLong(pid.strip()))
                                .flatMap(h -> h.info().command())
                                .orElse("?"))
                        .append(' ')
                        .append(state);
            }
            return b.append(')').toString();
        } catch (IOException | RuntimeException e) {
            return " (" + e.getMessage() + ")";
        }
    }

    private static List<Path> entries(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(dir)) {
            return list.toList();
        }
    }

    /** A process's open descriptors and resident memory. */
    record Usage(int fds, long rssKib) {
        static Usage of(long pid) throws IOException {
            int fds;
            try (Stream<Path> list = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
                fds = (int) list.count();
            }
            long rss = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                    .filter(l -> l.startsWith("VmRSS:"))
                    .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", "")))
                    .findFirst()
                    .orElse(-1);
            return new Usage(fds, rss);
        }

        @Override
        public String toString() {
            return fds + " fds " + rssKib / 1024 + " MiB";
        }
    }
}
