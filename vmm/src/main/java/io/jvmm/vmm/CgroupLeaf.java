package io.jvmm.vmm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A cgroup v2 leaf of its own for one VM's processes (monitor and helpers), below the shim's own
 * cgroup, so their resources are accounted together and the whole VM can be found and limited.
 * Used when a writable cgroup2 hierarchy exists; otherwise the VM runs without one (logged).
 */
public final class CgroupLeaf implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(CgroupLeaf.class);

    private final Path dir;

    private CgroupLeaf(Path dir) {
        this.dir = dir;
    }

    public static Optional<CgroupLeaf> create(String name) {
        Optional<Path> mount = cgroup2Mount();
        if (mount.isEmpty()) {
            LOG.info("no cgroup2 hierarchy: VM {} runs without a cgroup of its own", name);
            return Optional.empty();
        }
        try {
            Path dir = mount.get().resolve(ownCgroup().substring(1)).resolve(name);
            Files.createDirectories(dir);
            return Optional.of(new CgroupLeaf(dir));
        } catch (IOException | RuntimeException e) {
            LOG.info("cgroup2 not writable ({}): VM {} runs without a cgroup of its own", e.getMessage(), name);
            return Optional.empty();
        }
    }

    /**
     * The leaf at {@code path} as a VM's shim recorded it, to be removed by a later process (a dead shim's
     * delete): only a directory named {@code jvmm-*} in the cgroup2 hierarchy is taken.
     */
    public static Optional<CgroupLeaf> recorded(Path path) {
        Optional<Path> mount = cgroup2Mount();
        Path normal = path.normalize();
        if (mount.isEmpty()
                || !normal.startsWith(mount.get())
                || normal.getFileName() == null
                || !normal.getFileName().toString().startsWith("jvmm-")
                || !Files.isDirectory(normal)) {
            return Optional.empty();
        }
        return Optional.of(new CgroupLeaf(normal));
    }

    /** The leaf a VM whose state directory is {@code stateDir} was given by this process's cgroup, if it is there. */
    public static Optional<CgroupLeaf> ofVm(Path stateDir) {
        Optional<Path> mount = cgroup2Mount();
        if (mount.isEmpty()) {
            return Optional.empty();
        }
        try {
            return recorded(mount.get().resolve(ownCgroup().substring(1)).resolve(leafName(stateDir)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The name of the leaf of the VM whose state directory is {@code stateDir}. */
    static String leafName(Path stateDir) {
        return "jvmm-" + stateDir.getFileName();
    }

    public Path path() {
        return dir;
    }

    /** Moves a process (with all its threads) into this leaf. */
    public void add(long pid) {
        try {
            Files.writeString(dir.resolve("cgroup.procs"), Long.toString(pid));
        } catch (IOException e) {
            LOG.warn("cannot move pid {} into {}: {}", pid, dir, e.getMessage());
        }
    }

    /**
     * Removes the leaf (bounded wait). The VM's processes are supposed to be gone; what is still in it (a
     * helper's child that outlived its parent, a process still exiting) is killed: everything in the leaf
     * belongs to this VM, and a leaf left behind is a cgroup leaked for every such VM.
     */
    @Override
    public void close() {
        for (int attempt = 0; attempt < CLOSE_ATTEMPTS; attempt++) {
            try {
                Files.deleteIfExists(dir);
                return;
            } catch (IOException e) {
                if (attempt == SLOW_ATTEMPT) {
                    LOG.info("cgroup {} still busy after {} ms: {}", dir, SLOW_ATTEMPT * 20, contents());
                }
                killRemaining();
                sleep();
            }
        }
        LOG.warn("cgroup {} still busy after {} ms; left in place: {}", dir, CLOSE_ATTEMPTS * 20, contents());
    }

    /**
     * 15 s: under load a killed VM's processes were seen to keep the leaf populated for more than 5 s (a
     * soak of 403 containers: 7 leaves still busy after 5 s, 6 of them gone 5 s later, 1 left).
     */
    private static final int CLOSE_ATTEMPTS = 750;

    private static final int SLOW_ATTEMPT = 250;

    /** What keeps the leaf: whether the kernel counts it populated, and the processes it lists. */
    private String contents() {
        try {
            String populated = Files.readAllLines(dir.resolve("cgroup.events")).stream()
                    .filter(l -> l.startsWith("populated"))
                    .findFirst()
                    .orElse("");
            return populated + ", procs " + Files.readAllLines(dir.resolve("cgroup.procs"));
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    /** SIGKILL to every process in the leaf: cgroup.kill where the kernel has it (5.14), else one by one. */
    private void killRemaining() {
        try {
            Path kill = dir.resolve("cgroup.kill");
            if (Files.exists(kill)) {
                Files.writeString(kill, "1");
                return;
            }
            for (String pid : Files.readAllLines(dir.resolve("cgroup.procs"))) {
                if (!pid.isBlank()) {
                    ProcessHandle.of(Long.parseLong(pid.strip())).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot kill what is left in {}: {}", dir, e.getMessage());
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Where cgroup2 is mounted (/sys/fs/cgroup on pure v2 hosts, .../unified on hybrid ones). */
    static Optional<Path> cgroup2Mount() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] halves = line.split(" - ", 2);
                if (halves.length == 2 && halves[1].startsWith("cgroup2 ")) {
                    return Optional.of(Path.of(halves[0].split(" ")[4]));
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** This process's cgroup2 path, from the "0::" line of /proc/self/cgroup. */
    static String ownCgroup() throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/self/cgroup"));
        return lines.stream()
                .filter(l -> l.startsWith("0::"))
                .map(l -> l.substring(3))
                .findFirst()
                .orElse("/");
    }
}
