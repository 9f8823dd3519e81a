package io.jvmm.guest;

import io.jvmm.api.agent.v1.StdioSpec;
import io.jvmm.api.agent.v1.VolumeDir;
import io.jvmm.guest.sys.ConsoleSocket;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.TtrpcException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The containers of this guest and what can be done to them, each step delegated to crun. */
final class ContainerRegistry {
    /**
     * A container's root as a disk: its serial ("" for none: the root is where the spec says), where it is
     * mounted ("" for the bundle's rootfs), and the pod's guest volumes its spec binds.
     */
    record RootDisk(String serial, String mount, List<VolumeDir> volumes) {}

    private final Path bundles;
    private final Path io;
    private final Crun crun;
    private final Map<String, Container> containers = new ConcurrentHashMap<>();
    private final OomWatcher oomWatcher;

    /** {@code oomFlood}: OOM events made up for each new container (a hostile guest on request; 0 normally). */
    ContainerRegistry(Path stateDir, Crun crun, int oomFlood) throws IOException {
        this.bundles = Files.createDirectories(stateDir.resolve("bundles"));
        this.io = Files.createDirectories(stateDir.resolve("io"));
        this.crun = crun;
        this.oomWatcher = new OomWatcher(oomFlood);
    }

    Container get(String id) {
        Refusal.validId("container", id);
        Container c = containers.get(id);
        if (c == null) {
            throw Refusal.notFound("container " + id + " not found");
        }
        return c;
    }

    /**
     * Writes the bundle's config.json, mounts the root disk if there is one, and runs crun create; the
     * init process waits for start.
     */
    synchronized Container create(String id, String bundlePath, byte[] configJson, StdioSpec stdio, RootDisk disk)
            throws IOException {
        Refusal.validId("container", id);
        if (containers.containsKey(id)) {
            throw new TtrpcException(Code.ALREADY_EXISTS, "container " + id + " already exists");
        }
        Path bundle = bundlePath.isEmpty() ? bundles.resolve(id) : Path.of(bundlePath);
        Files.createDirectories(bundle);
        Files.write(bundle.resolve("config.json"), configJson);
        Path diskMount = RootfsDisk.mountPoint(disk.mount(), bundle.resolve("rootfs"));
        for (VolumeDir v : disk.volumes()) {
            RootfsDisk.makeVolume(v.getPath(), v.getMode());
        }
        if (!disk.serial().isEmpty()) {
            RootfsDisk.mount(disk.serial(), diskMount);
        }
        Path ioDir = io.resolve(id).resolve("init");
        Path pidFile = ioDir.resolve("pid");
        StdioPipes pipes;
        try {
            pipes = runWithStdio(
                    id,
                    ioDir,
                    stdio,
                    List.of("create", "--bundle", bundle.toString(), "--pid-file", pidFile.toString()));
        } catch (IOException e) {
            deleteTree(io.resolve(id));
            RootfsDisk.unmountIfMounted(diskMount);
            throw e;
        }
        GuestProcess init = new GuestProcess(id, "", pipes);
        int pid = readPid(pidFile);
        init.created(pid);
        Container container = new Container(id, bundle, diskMount, io.resolve(id), init, CgroupStats.cgroupOf(pid));
        containers.put(id, container);
        oomWatcher.watch(id, container.cgroup);
        // The watcher polls every 200 ms; an OOM kill that ended the init is told before its exit, for after
        // the exit the host may delete the container and end the VM at once (a lone container's Shutdown).
        init.beforeExitReported(() -> oomWatcher.checkNow(id));
        return container;
    }

    int start(String id) throws IOException {
        Container c = get(id);
        c.init.markRunning("start");
        crun.run(id, List.of("start", id));
        oomWatcher.started(id);
        return c.init.pid();
    }

    synchronized GuestProcess exec(String id, String execId, byte[] processJson, StdioSpec stdio) throws IOException {
        Container c = get(id);
        Refusal.validId("exec", execId);
        if (c.execs.containsKey(execId)) {
            throw new TtrpcException(Code.ALREADY_EXISTS, "exec " + execId + " already exists in container " + id);
        }
        if (c.init.state() != ProcessState.RUNNING) {
            throw Refusal.failedPrecondition("cannot exec in container " + id + ": it is "
                    + c.init.state().name().toLowerCase(Locale.ROOT));
        }
        Path ioDir = Files.createDirectories(c.ioDir.resolve("exec-" + execId));
        Path spec = ioDir.resolve("process.json");
        Files.write(spec, processJson);
        Path pidFile = ioDir.resolve("pid");
        StdioPipes pipes = runWithStdio(
                id,
                ioDir,
                stdio,
                List.of("exec", "--detach", "--pid-file", pidFile.toString(), "--process", spec.toString()));
        GuestProcess process = new GuestProcess(id, execId, pipes);
        process.created(readPid(pidFile));
        process.markRunning("exec");
        c.execs.put(execId, process);
        return process;
    }

    /**
     * Runs a crun command that creates a process, wired to its stdio: named pipes, or a terminal whose
     * master crun sends to a console socket while the command runs.
     */
    private StdioPipes runWithStdio(String containerId, Path ioDir, StdioSpec stdio, List<String> command)
            throws IOException {
        List<String> args = new ArrayList<>(command);
        if (!stdio.getTerminal()) {
            StdioPipes pipes = new StdioPipes(ioDir, stdio);
            args.add(containerId);
            try {
                crun.run(containerId, args, pipes.stdinRedirect(), pipes.stdoutRedirect(), pipes.stderrRedirect());
            } catch (IOException e) {
                pipes.close();
                throw e;
            }
            return pipes;
        }
        Files.createDirectories(ioDir);
        Path socket = ioDir.resolve("console.sock");
        try (ConsoleSocket console = ConsoleSocket.listen(socket)) {
            CompletableFuture<Integer> master = new CompletableFuture<>();
            Thread.ofPlatform().daemon(true).name("console-" + containerId).start(() -> {
                try {
                    master.complete(console.receiveTerminal());
                } catch (IOException e) {
                    master.completeExceptionally(e);
                }
            });
            args.addAll(List.of("--console-socket", socket.toString(), containerId));
            crun.run(containerId, args);
            try {
                return StdioPipes.terminal(ioDir, stdio, master.get(10, TimeUnit.SECONDS));
            } catch (Exception e) {
                throw new IOException("crun sent no terminal for " + containerId + ": " + e.getMessage(), e);
            }
        } finally {
            Files.deleteIfExists(socket);
        }
    }

    void signal(String id, String execId, int signal, boolean all) throws IOException {
        Container c = get(id);
        if (all) {
            crun.run(id, List.of("kill", "--all", id, Integer.toString(signal)));
        } else {
            c.process(execId).signal(signal);
        }
    }

    /** Applies OCI LinuxResources (JSON) to a created or running container's cgroup. */
    void update(String id, byte[] resourcesJson) throws IOException {
        Container c = get(id);
        if (c.init.hasExited()) {
            throw Refusal.failedPrecondition("cannot update container " + id + ": it has exited");
        }
        Path file = c.ioDir.resolve("resources.json");
        Files.write(file, resourcesJson);
        crun.run(id, List.of("update", "--resources", file.toString(), id));
    }

    OomWatcher oomWatcher() {
        return oomWatcher;
    }

    List<Integer> processes(String id) throws IOException {
        Container c = get(id);
        Path procs = c.cgroup.resolve("cgroup.procs");
        List<Integer> pids = new ArrayList<>();
        if (Files.exists(procs)) {
            for (String line : Files.readAllLines(procs)) {
                if (!line.isBlank()) {
                    pids.add(Integer.parseInt(line.strip()));
                }
            }
        }
        return pids;
    }

    synchronized void delete(String id) throws IOException {
        Container c = get(id);
        if (c.init.state() == ProcessState.RUNNING && !c.init.hasExited()) {
            throw Refusal.failedPrecondition("cannot delete container " + id + ": it is running");
        }
        crun.run(id, List.of("delete", "--force", id));
        c.init.stdio.close();
        c.execs.values().forEach(p -> p.stdio.close());
        containers.remove(id);
        oomWatcher.forget(id);
        deleteTree(c.ioDir);
        RootfsDisk.unmountIfMounted(c.diskMount);
    }

    /** Forgets an exited exec process: its pipes closed, its io directory removed, its id free again. */
    synchronized void deleteExec(String id, String execId) throws IOException {
        Container c = get(id);
        if (execId.isEmpty()) {
            throw Refusal.invalidArgument("the init process is deleted with its container");
        }
        GuestProcess p = c.process(execId);
        if (!p.hasExited()) {
            throw Refusal.failedPrecondition("cannot delete exec " + execId + " of " + id + ": it is running");
        }
        c.execs.remove(execId);
        p.stdio.close();
        deleteTree(c.ioDir.resolve("exec-" + execId));
    }

    /** Whether {@code pid} is a container process of ours (its own reaper waits for it and reports it). */
    boolean ownsProcess(int pid) {
        for (Container c : containers.values()) {
            if (c.init.pid() == pid || c.execs.values().stream().anyMatch(p -> p.pid() == pid)) {
                return true;
            }
        }
        return false;
    }

    /** Every container's processes get {@code signal}; used by power-off. */
    void signalAll(int signal) {
        for (Container c : containers.values()) {
            try {
                crun.run(c.id, List.of("kill", "--all", c.id, Integer.toString(signal)));
            } catch (IOException e) {
                // already gone
            }
        }
    }

    boolean allExited() {
        return containers.values().stream().allMatch(c -> c.init.hasExited() || c.init.state() == ProcessState.CREATED);
    }

    private static int readPid(Path pidFile) throws IOException {
        return Integer.parseInt(Files.readString(pidFile).strip());
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
