package io.jvmm.e2e.containerd;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvmm.e2e.Leftovers;
import io.jvmm.task.sandbox.VmTemplates;
import io.jvmm.ttrpc.testing.GoPeer;
import io.jvmm.vmm.GuestSnapshot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The jvmm runtime as packaging/shim/install.sh installs it, into a private prefix for the tests: the
 * launcher {@code bin/containerd-shim-jvmm-v2}, its jars, a configuration (TCG here, 2 vCPUs) and a
 * state root of its own. Installed once per test JVM, removed when it exits.
 */
public final class JvmmRuntime {
    public static final String RUNTIME = "io.containerd.jvmm.v2";
    private static JvmmRuntime installed;

    private final Path dir;

    private JvmmRuntime(Path dir) {
        this.dir = dir;
    }

    public static synchronized JvmmRuntime get() throws IOException {
        if (installed == null) {
            Path dir = Files.createTempDirectory(Path.of("/tmp"), "jvmm-rt");
            // As an installation's prefix and /run are: open to other users, who must still see nothing of a
            // sandbox's state (the state root's own permissions are the shim's to set).
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.createDirectories(dir.resolve("state"));
            GoPeer.Result r = GoPeer.run(
                    List.of(
                            "bash",
                            GoPeer.repoRoot()
                                    .resolve("packaging/shim/install.sh")
                                    .toString(),
                            "--prefix",
                            dir.toString(),
                            "--config",
                            dir.resolve("config.json").toString(),
                            "--accel",
                            "tcg",
                            "--vcpus",
                            "2",
                            "--memory-mib",
                            "1024",
                            "--boot-timeout",
                            "400",
                            "--state-root",
                            dir.resolve("state").toString()),
                    900);
            if (r.exitCode() != 0) {
                Leftovers.deleteTree(dir);
                throw new IOException("packaging/shim/install.sh failed: " + r.stderr());
            }
            installed = new JvmmRuntime(dir);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> Leftovers.deleteTree(dir)));
        }
        return installed;
    }

    public Path binDir() {
        return dir.resolve("bin");
    }

    public Path shim() {
        return binDir().resolve("containerd-shim-jvmm-v2");
    }

    public Path config() {
        return dir.resolve("config.json");
    }

    /** The installed configuration (JSON) with some keys set to other values. */
    public String configWith(Map<String, Object> changes) throws IOException {
        var json = new ObjectMapper();
        var node = (ObjectNode) json.readTree(config().toFile());
        changes.forEach((k, v) -> node.set(k, json.valueToTree(v)));
        return json.writerWithDefaultPrettyPrinter().writeValueAsString(node);
    }

    /**
     * {@code containerd-shim-jvmm-v2 templates make} with {@code config}, as an operator runs it ahead of the
     * first sandbox of a size (options: {@code --vcpus N --memory-mib M --kernel-args ARGS}).
     */
    public GoPeer.Result makeTemplate(Path config, String... options) {
        List<String> command =
                new ArrayList<>(List.of("env", "JVMM_CONFIG=" + config, shim().toString(), "templates", "make"));
        command.addAll(List.of(options));
        return GoPeer.run(command, 600);
    }

    /** The same, which must succeed: tests whose VMs must be restored make their templates first. */
    public void ensureTemplate(Path config, String... options) throws IOException {
        GoPeer.Result r = makeTemplate(config, options);
        if (r.exitCode() != 0) {
            throw new IOException("templates make " + String.join(" ", options) + " failed (" + r.exitCode() + "): "
                    + r.stderr() + r.stdout());
        }
    }

    /**
     * Waits until no template maker a sandbox started beside itself runs any more (a test must not end with
     * one running: its VM would be left); {@code timeout} in seconds.
     */
    public void awaitNoTemplateMakers(long timeoutSeconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (!templateMakers().isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "template makers still running after " + timeoutSeconds + " s: " + templateMakers());
            }
            Thread.sleep(200);
        }
    }

    /** The processes of this installation running {@code templates make} (not another one's on the host). */
    public List<ProcessHandle> templateMakers() {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info()
                        .commandLine()
                        .map(c -> c.contains(" templates make ") && c.contains(dir.toString()))
                        .orElse(false))
                .toList();
    }

    /** Where sandboxes keep their state: must hold nothing once every test is done. */
    public Path stateRoot() {
        return dir.resolve("state");
    }

    /**
     * Deletes every VM template the suite's shims made (and their directory); answers the ones a VM still
     * mapped, which were not deleted.
     */
    public List<GuestSnapshot> deleteTemplates() throws IOException {
        List<GuestSnapshot> kept = new ArrayList<>();
        for (GuestSnapshot template : VmTemplates.list(stateRoot())) {
            if (!template.deleteUnlessInUse()) {
                kept.add(template);
            }
        }
        Leftovers.deleteTree(stateRoot().resolve("t"));
        return kept;
    }

    /**
     * Closes {@code containerd} (whose own cleanup must be enough), then lists what jvmm left behind:
     * shims, VM processes, sandbox state, mounts. Empty when everything was cleaned up.
     */
    public List<String> closeAndListLeftovers(PrivateContainerd containerd) throws IOException, InterruptedException {
        String address = containerd.socket().toString();
        containerd.close();
        List<String> left = new ArrayList<>();
        containerd.groupFilesLeft().forEach(f -> left.add("shim socket or start lock /run/containerd/s/" + f));
        containerd.cgroupsLeft().forEach(c -> left.add("VM cgroup " + c));
        Leftovers.processesMentioning(address).forEach(p -> left.add("shim " + p.pid()));
        left.addAll(sandboxLeftovers());
        if (!left.isEmpty()) {
            removeLeftovers();
        }
        return left;
    }

    /**
     * What sandboxes left below the state root: VM processes, sandbox state, metrics sockets, mounts (empty
     * when nothing).
     */
    public List<String> sandboxLeftovers() throws IOException {
        List<String> left = new ArrayList<>();
        Leftovers.processesMentioning(stateRoot().toString())
                .forEach(p -> left.add(
                        "VM process " + p.pid() + " " + p.info().command().orElse("?")));
        leftoverSandboxes().forEach(d -> left.add("sandbox state " + d));
        Path metrics = stateRoot().resolve("metrics");
        if (Files.isDirectory(metrics)) {
            try (var sockets = Files.list(metrics)) {
                sockets.forEach(s -> left.add("metrics socket " + s));
            }
        }
        Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .map(l -> l.split(" ")[4])
                .filter(m -> m.startsWith(stateRoot().toString()))
                .forEach(m -> left.add("mount " + m));
        return left;
    }

    /** The lines of every running sandbox's console log (the guest's kernel and agent). */
    public List<String> consoleLines() throws IOException {
        List<String> lines = new ArrayList<>();
        Path sandboxes = stateRoot().resolve("s");
        if (!Files.isDirectory(sandboxes)) {
            return lines;
        }
        try (var walk = Files.walk(sandboxes)) {
            for (Path log : walk.filter(p -> p.getFileName().toString().equals("console.log"))
                    .toList()) {
                lines.addAll(Files.readAllLines(log, StandardCharsets.ISO_8859_1));
            }
        }
        return lines;
    }

    /** Waits until some sandbox's console has a line containing {@code text}; fails after {@code seconds}. */
    public void awaitConsole(String text, long seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (consoleLines().stream().noneMatch(l -> l.contains(text))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no console said within " + seconds + " s: " + text);
            }
            Thread.sleep(200);
        }
    }

    /** After a failure: VM processes killed and mounts undone below the state root, so the next test starts clean. */
    private void removeLeftovers() throws IOException, InterruptedException {
        for (ProcessHandle p : Leftovers.processesMentioning(stateRoot().toString())) {
            p.destroyForcibly();
            p.onExit().completeOnTimeout(p, 10, TimeUnit.SECONDS).join();
        }
        List<String> mounts = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .map(l -> l.split(" ")[4])
                .filter(m -> m.startsWith(stateRoot().toString()))
                .sorted(Comparator.reverseOrder())
                .toList();
        for (String m : mounts) {
            new ProcessBuilder("umount", "-l", m).start().waitFor(10, TimeUnit.SECONDS);
        }
        for (Path sandbox : leftoverSandboxes()) {
            Leftovers.deleteTree(sandbox);
        }
        Leftovers.deleteTree(stateRoot().resolve("metrics"));
    }

    /** Sandbox directories left under the state root (none when every VM was cleaned up). */
    public List<Path> leftoverSandboxes() throws IOException {
        Path s = stateRoot().resolve("s");
        if (!Files.isDirectory(s)) {
            return List.of();
        }
        try (var dirs = Files.list(s)) {
            return dirs.toList();
        }
    }
}
