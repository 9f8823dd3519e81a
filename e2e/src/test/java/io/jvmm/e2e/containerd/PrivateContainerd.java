package io.jvmm.e2e.containerd;

import io.jvmm.e2e.Leftovers;
import io.jvmm.e2e.TestCgroup;
import io.jvmm.ttrpc.testing.GoPeer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A containerd of the tests' own (2.1 from Debian unstable, installed by scripts/install-containerd.sh):
 * its own config, root, state and socket under a temporary directory, never the system's. The offline
 * busybox image (packaging/images) is imported at start. Closing it stops it and removes everything.
 */
public final class PrivateContainerd implements AutoCloseable {
    /** containerd 2.1 from Debian unstable: the main peer. */
    public static final Path PREFIX = Path.of("/var/cache/jvmm/containerd/usr/bin");
    /** containerd 1.6 from bookworm: the old peer (Task v2 API, plain bootstrap address, config version 2). */
    public static final Path PREFIX_1_6 = Path.of("/var/cache/jvmm/containerd-1.6/usr/bin");

    /** runc's shim, the reference runtime. */
    public static final String RUNC_RUNTIME = "io.containerd.runc.v2";

    public static final String IMAGE = "localhost/jvmm/busybox:latest";

    private final Path dir;
    private final Path prefix;
    private Process process;
    private ProcessBuilder command;
    private boolean cri;
    /** What the shims' socket directory held before this containerd started, and what it left there. */
    /** Every argument of a ctr command run here and every id noted: the shims' socket names derive from them. */
    private final Set<String> names = ConcurrentHashMap.newKeySet();

    private List<String> groupFilesLeft = List.of();
    /** containerd's own cgroup2 directory (the shims and their VMs' leaves go below it); absent without cgroup2. */
    private Optional<TestCgroup> cgroup = Optional.empty();

    private List<String> cgroupsLeft = List.of();

    private PrivateContainerd(Path dir, Path prefix, Process process) {
        this.dir = dir;
        this.prefix = prefix;
        this.process = process;
    }

    /**
     * The shim sockets and start locks of this containerd's containers and pods (those named in a ctr
     * command or {@linkplain #noteId noted}) still there after {@link #close()}, which removed them so the
     * next test starts clean.
     */
    public List<String> groupFilesLeft() {
        return groupFilesLeft;
    }

    /** Ends a test's container whatever state it is in: its task killed and deleted, the container deleted. */
    public void killAndRemove(String id) throws IOException, InterruptedException {
        if (ctr(null, "task", "ls", "-q").stdout().lines().anyMatch(id::equals)) {
            ctr(null, "task", "kill", "-s", "SIGKILL", id);
            awaitTask(id, "STOPPED", 120);
            ctr(null, "task", "delete", id);
        }
        ctr(null, "containers", "delete", id);
    }

    /** An id containerd made for this test (a CRI pod's or container's), whose shim files are looked for at close. */
    public void noteId(String id) {
        names.add(id);
    }

    /** The VM cgroup leaves ({@code jvmm-*}) below containerd's cgroup when {@link #close()} ran (it removed them). */
    public List<String> cgroupsLeft() {
        return cgroupsLeft;
    }

    /** VM cgroup leaves below containerd's own cgroup now. */
    public List<Path> vmCgroups() throws IOException {
        return cgroup.isPresent() ? cgroup.get().below("jvmm-") : List.of();
    }

    public static PrivateContainerd start() throws IOException, InterruptedException {
        return start(List.of());
    }

    /** A containerd 2.1 whose PATH also has {@code extraBinDirs} first (where it finds runtimes' shims). */
    public static PrivateContainerd start(List<Path> extraBinDirs) throws IOException, InterruptedException {
        return start(PREFIX, extraBinDirs);
    }

    /** The containerd installed under {@code prefix} (2.x or 1.6), configured in the format its version reads. */
    public static PrivateContainerd start(Path prefix, List<Path> extraBinDirs)
            throws IOException, InterruptedException {
        return start(prefix, extraBinDirs, null, null, Map.of());
    }

    /**
     * A containerd 2.1 with {@code env} added to its environment (which its shims inherit): the OpenTelemetry
     * variables that make it trace, for one.
     */
    public static PrivateContainerd startWith(List<Path> extraBinDirs, Map<String, String> env)
            throws IOException, InterruptedException {
        return start(PREFIX, extraBinDirs, null, null, env);
    }

    /**
     * A containerd 2.1 with its CRI server on: runtimes {@code runc} (the pause-container model, the
     * reference) and {@code jvmm} (containerd's shim sandboxer: the Sandbox service in jvmm's shim), CNI
     * from /usr/lib/cni with a bridge network of its own, and the offline images in namespace k8s.io.
     */
    public static PrivateContainerd startWithCri(List<Path> extraBinDirs, Path jvmmConfig)
            throws IOException, InterruptedException {
        return start(PREFIX, extraBinDirs, jvmmConfig, CriNetwork.shippedSnippet(), Map.of());
    }

    /** The same with runtime {@code jvmm} from {@code snippet} (the Debian package's installed copy, say). */
    public static PrivateContainerd startWithCri(List<Path> extraBinDirs, Path jvmmConfig, Path snippet)
            throws IOException, InterruptedException {
        return start(PREFIX, extraBinDirs, jvmmConfig, snippet, Map.of());
    }

    /**
     * {@code jvmmConfig} null: no CRI; else CRI on, runtime {@code jvmm} imported from {@code snippet}, the
     * other jvmm runtime's options naming that configuration file.
     */
    private static PrivateContainerd start(
            Path prefix, List<Path> extraBinDirs, Path jvmmConfig, Path snippet, Map<String, String> env)
            throws IOException, InterruptedException {
        boolean cri = jvmmConfig != null;
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "jvmm-ctd");
        boolean old = prefix.equals(PREFIX_1_6);
        String disabled = cri
                ? ""
                : old
                        ? "\"io.containerd.grpc.v1.cri\""
                        : "\"io.containerd.grpc.v1.cri\", \"io.containerd.cri.v1.images\", \"io.containerd.cri.v1.runtime\"";
        Files.writeString(
                dir.resolve("config.toml"),
                (cri ? CriNetwork.importsLine(snippet) : "")
                        + """
                version = %2$d
                root = "%1$s/root"
                state = "%1$s/state"
                disabled_plugins = [%3$s]
                [grpc]
                  address = "%1$s/containerd.sock"
                [ttrpc]
                  address = "%1$s/containerd.sock.ttrpc"
                """.formatted(dir, old ? 2 : 3, disabled)
                        + (cri ? CriNetwork.containerdConfig(dir, jvmmConfig) : ""));
        if (cri) {
            CriNetwork.writeConfig(dir);
        }
        ProcessBuilder pb = new ProcessBuilder(
                        prefix.resolve("containerd").toString(),
                        "--config",
                        dir.resolve("config.toml").toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("containerd.log").toFile());
        StringBuilder path = new StringBuilder();
        extraBinDirs.forEach(d -> path.append(d).append(':'));
        path.append(prefix).append(':').append(pb.environment().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"));
        pb.environment().put("PATH", path.toString());
        // containerd unpacks a checkpoint image to restore from into a temporary directory it never removes
        // (containerd/containerd#10166, ~170 MB for one of our VMs): keep its temporary files in this
        // directory, deleted with it at close.
        pb.environment().remove("XDG_RUNTIME_DIR");
        pb.environment().putAll(env);
        pb.environment()
                .put("TMPDIR", Files.createDirectories(dir.resolve("tmp")).toString());
        Optional<TestCgroup> cgroup = TestCgroup.create("ctd-" + dir.getFileName());
        cgroup.ifPresent(c -> pb.command(c.wrap(pb.command())));
        PrivateContainerd containerd = new PrivateContainerd(dir, prefix, pb.start());
        containerd.cgroup = cgroup;
        containerd.command = pb;
        containerd.cri = cri;
        try {
            containerd.awaitSocket();
            containerd.importImage(null);
            if (cri) {
                containerd.importImage(CriNetwork.NAMESPACE);
            }
            return containerd;
        } catch (IOException | RuntimeException e) {
            containerd.close();
            throw e;
        }
    }

    private void awaitSocket() throws InterruptedException, IOException {
        for (int i = 0; i < 300 && !Files.exists(socket()); i++) {
            if (!process.isAlive()) {
                throw new IOException("containerd exited: " + Files.readString(dir.resolve("containerd.log")));
            }
            Thread.sleep(20);
        }
        if (!Files.exists(socket())) {
            throw new IOException("containerd did not listen on " + socket());
        }
    }

    /** Imports the offline images into {@code namespace} (null: ctr's default namespace). */
    private void importImage(String namespace) throws IOException, InterruptedException {
        String archive = GoPeer.run(
                        List.of(
                                "bash",
                                GoPeer.repoRoot()
                                        .resolve("packaging/images/build-busybox-image.sh")
                                        .toString()),
                        300)
                .stdout()
                .strip();
        List<String> args = new ArrayList<>();
        if (namespace != null) {
            args.addAll(List.of("-n", namespace));
        }
        // --local: import in the client; the transfer service of a default 2.1 config has no unpack platforms.
        args.addAll(
                prefix.equals(PREFIX_1_6)
                        ? List.of("images", "import", "--snapshotter", "native", archive)
                        : List.of("images", "import", "--local", "--snapshotter", "native", archive));
        Result r = ctr(null, args.toArray(String[]::new));
        if (r.exitCode() != 0) {
            throw new IOException("image import failed: " + r.stderr());
        }
    }

    /** Waits until {@code ctr task ls} shows task {@code id} in {@code status}; fails at the deadline. */
    public void awaitTask(String id, String status, long seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!ctr(null, "task", "ls").stdout().matches("(?s).*\\b" + id + "\\s+\\d+\\s+" + status + ".*")) {
            if (System.nanoTime() > deadline) {
                String log = Files.readString(dir.resolve("containerd.log"));
                throw new IOException("task " + id + " not " + status + " within " + seconds + " s; tasks:\n"
                        + ctr(null, "task", "ls").stdout() + "containerd log (end, with the shims' warnings):\n"
                        + log.substring(Math.max(0, log.length() - 6000)));
            }
            Thread.sleep(100);
        }
    }

    /** containerd's log lines (the shims' own included) that name {@code id} (not a longer id it begins), for a failure's message. */
    public String logLinesMentioning(String id) throws IOException {
        Pattern named = Pattern.compile(Pattern.quote(id) + "(?![\\w.-])");
        return Files.readString(dir.resolve("containerd.log"))
                .lines()
                .filter(l -> named.matcher(l).find())
                .collect(Collectors.joining("\n"));
    }

    /** containerd's log lines that contain {@code text}. */
    public List<String> logLinesContaining(String text) throws IOException {
        return Files.readString(dir.resolve("containerd.log"))
                .lines()
                .filter(l -> l.contains(text))
                .toList();
    }

    /** Stops containerd (SIGTERM, as a service manager would) and starts it again on the same state. */
    public void restart() throws IOException, InterruptedException {
        restart(false);
    }

    /** With {@code crash}, SIGKILL instead of SIGTERM: containerd dies as it would crash, mid-call. */
    public void restart(boolean crash) throws IOException, InterruptedException {
        if (crash) {
            process.destroyForcibly();
        } else {
            process.destroy();
        }
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IOException("containerd did not stop within 30 s");
        }
        Files.deleteIfExists(socket());
        command.redirectOutput(
                ProcessBuilder.Redirect.appendTo(dir.resolve("containerd.log").toFile()));
        process = command.start();
        awaitSocket();
    }

    public Path ctrBinary() {
        return prefix.resolve("ctr");
    }

    public Path containerdBinary() {
        return prefix.resolve("containerd");
    }

    public Path dir() {
        return dir;
    }

    /** The bundle containerd made for task {@code id} (the shim records its pid there, in {@code shim.pid}). */
    public Path bundle(String namespace, String id) {
        return dir.resolve("state/io.containerd.runtime.v2.task")
                .resolve(namespace)
                .resolve(id);
    }

    /** The containerd process this object started (for a census of its open files and memory). */
    public ProcessHandle process() {
        return process.toHandle();
    }

    /**
     * Holds containerd still (SIGSTOP to the process this object started) for {@code duration}, as a
     * containerd too busy to take a shim's events is, then lets it go on (SIGCONT, also when interrupted).
     */
    public void freeze(Duration duration) throws IOException, InterruptedException {
        signal("STOP");
        try {
            Thread.sleep(duration);
        } finally {
            signal("CONT");
        }
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
                .inheritIO()
                .start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    public Path socket() {
        return dir.resolve("containerd.sock");
    }

    /**
     * {@code ctr -a <socket> <args>}, with the stdio fifos of {@code run}, {@code task exec} and
     * {@code task start} kept in this containerd's directory: ctr removes them when it ends, but a ctr a
     * test kills cannot, and its fifos would otherwise stay in /run/containerd/fifo.
     */
    public List<String> ctrCommand(List<String> args) {
        names.addAll(args);
        List<String> command = new ArrayList<>(List.of(ctrBinary().toString(), "-a", socket().toString()));
        int at = 0;
        while (at + 1 < args.size()
                && (args.get(at).equals("-n") || args.get(at).equals("--namespace"))) {
            at += 2;
        }
        int subcommandEnd = -1;
        if (at < args.size() && args.get(at).equals("run")) {
            subcommandEnd = at + 1;
        } else if (at + 1 < args.size()
                && args.get(at).equals("task")
                && List.of("exec", "start").contains(args.get(at + 1))) {
            subcommandEnd = at + 2;
        }
        if (subcommandEnd < 0) {
            command.addAll(args);
        } else {
            command.addAll(args.subList(0, subcommandEnd));
            command.addAll(List.of("--fifo-dir", dir.resolve("fifo").toString()));
            command.addAll(args.subList(subcommandEnd, args.size()));
        }
        return command;
    }

    /** The outcome of one ctr command. */
    public record Result(int exitCode, String stdout, String stderr) {}

    /** Starts {@code ctr -a <socket> <args>} without waiting (its output is discarded). */
    public Process startCtr(String... args) throws IOException {
        List<String> command = ctrCommand(List.of(args));
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
    }

    /** Runs {@code ctr -a <socket> <args>}, feeding it {@code stdin} (or nothing). */
    public Result ctr(byte[] stdin, String... args) throws IOException, InterruptedException {
        List<String> command = ctrCommand(List.of(args));
        Process p = new ProcessBuilder(command).start();
        byte[][] out = new byte[2][];
        Thread o = Thread.ofVirtual().start(() -> out[0] = readAll(p.getInputStream()));
        Thread e = Thread.ofVirtual().start(() -> out[1] = readAll(p.getErrorStream()));
        // Fed from a thread of its own: a ctr that stops reading must not hold the test past the deadline below.
        Thread feeder = Thread.ofVirtual().start(() -> {
            try (var in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin);
                }
            } catch (IOException ignored) {
                // ctr ended or closed its stdin: what it read is what it got
            }
        });
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new IOException("ctr " + String.join(" ", args) + " timed out");
        }
        feeder.join();
        o.join();
        e.join();
        return new Result(
                p.exitValue(), new String(out[0], StandardCharsets.UTF_8), new String(out[1], StandardCharsets.UTF_8));
    }

    /**
     * A clean-up step that may fail (a task that never exits makes {@code delete --force} time out): the
     * failure is printed and clean-up goes on, so containerd and every shim are still ended by pid below.
     */
    private void bestEffort(String... args) throws InterruptedException {
        try {
            ctr(null, args);
        } catch (IOException e) {
            System.err.println("clean-up step failed, going on: " + e.getMessage());
        }
    }

    /** containerd's shim socket for a task (pkg/shim SocketAddress): sha256 of address/namespace/id. */
    public Path shimSocket(String namespace, String id) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((socket() + "/" + namespace + "/" + id).getBytes(StandardCharsets.UTF_8));
            return Path.of("/run/containerd/s", HexFormat.of().formatHex(digest));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What a failed CRI test left in namespace k8s.io: tasks, containers and sandboxes, removed; returns their ids. */
    private List<String> removeCriLeftovers() throws IOException, InterruptedException {
        String ns = CriNetwork.NAMESPACE;
        List<String> ids = new ArrayList<>(
                lines(ctr(null, "-n", ns, "containers", "ls", "-q").stdout()));
        for (String id : ids) {
            bestEffort("-n", ns, "task", "kill", "-s", "SIGKILL", id);
            bestEffort("-n", ns, "task", "delete", "--force", id);
            bestEffort("-n", ns, "containers", "delete", id);
        }
        for (String id : lines(ctr(null, "-n", ns, "sandboxes", "ls").stdout()).stream()
                .skip(1)
                .map(l -> l.split("\\s+")[0])
                .toList()) {
            bestEffort("-n", ns, "sandboxes", "rm", "--force", id);
            ids.add(id);
        }
        return ids;
    }

    private static List<String> mountsUnder(Path dir) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .map(l -> l.split(" ")[4])
                .filter(m -> m.startsWith(dir.toString()))
                .sorted(Comparator.reverseOrder())
                .toList();
    }

    private static List<String> lines(String text) {
        return text.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    private static byte[] readAll(InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    /**
     * Leaves nothing behind, even after a failed test: every task killed and deleted, every container
     * deleted, containerd stopped, any shim still running ended by pid, mounts under our root undone,
     * the shims' sockets (named by containerd as sha256 of address/namespace/id) removed, the directory deleted.
     */
    @Override
    public void close() throws IOException, InterruptedException {
        List<String> ids =
                process.isAlive() ? lines(ctr(null, "containers", "ls", "-q").stdout()) : List.of();
        for (String id : ids) {
            bestEffort("task", "kill", "-s", "SIGKILL", id);
            bestEffort("task", "delete", "--force", id);
            bestEffort("containers", "delete", id);
        }
        List<String> criIds = cri && process.isAlive() ? removeCriLeftovers() : List.of();
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        // containerd runs a shim's delete action when the shim has gone, possibly still now: let it finish
        // (it takes a fraction of a second) rather than kill it halfway.
        for (ProcessHandle delete : Leftovers.processesMentioning(dir.toString())) {
            if (delete.info()
                    .arguments()
                    .map(a -> a.length > 0 && a[a.length - 1].equals("delete"))
                    .orElse(false)) {
                delete.onExit().completeOnTimeout(delete, 10, TimeUnit.SECONDS).join();
            }
        }
        for (ProcessHandle leftover : Leftovers.processesMentioning(dir.toString())) {
            List<String> args = List.of(leftover.info().arguments().orElse(new String[0]));
            leftover.destroyForcibly();
            leftover.onExit().completeOnTimeout(leftover, 10, TimeUnit.SECONDS).join();
            // A shim killed here cannot remove its socket (nor its start lock): do it for it.
            int at = args.indexOf("-socket");
            if (at >= 0 && at + 1 < args.size() && args.get(at + 1).startsWith("/run/containerd/s/")) {
                Files.deleteIfExists(Path.of(args.get(at + 1)));
                Files.deleteIfExists(Path.of(args.get(at + 1) + ".lock"));
            }
        }
        for (String mount : mountsUnder(dir)) {
            new ProcessBuilder("umount", "-l", mount).start().waitFor(10, TimeUnit.SECONDS);
        }
        for (String id : ids) {
            Files.deleteIfExists(shimSocket("default", id));
        }
        for (String id : criIds) {
            Files.deleteIfExists(shimSocket(CriNetwork.NAMESPACE, id));
        }
        if (cri) {
            CriNetwork.removeBridge();
        }
        Leftovers.deleteTree(dir);
        if (cgroup.isPresent()) {
            cgroupsLeft = vmCgroups().stream().map(Path::toString).toList();
            cgroup.get().close();
        }
        // Only this containerd's shims' files: another containerd's shims on the host come and go meanwhile.
        List<String> left = new ArrayList<>();
        for (String name : names) {
            for (String namespace : List.of("default", CriNetwork.NAMESPACE)) {
                Path socket = shimSocket(namespace, name);
                for (Path f : List.of(socket, Path.of(socket + ".lock"))) {
                    if (Files.deleteIfExists(f)) {
                        left.add(f.getFileName().toString());
                    }
                }
            }
        }
        groupFilesLeft = List.copyOf(left);
    }
}
