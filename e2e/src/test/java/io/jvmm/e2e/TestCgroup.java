package io.jvmm.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A cgroup2 directory of a test's own for a process tree it starts (a private containerd, and through it
 * the shims and their VMs' cgroup leaves), so that what the tree leaves in cgroups is found below it, and
 * only what it made. Closing it kills what is still in it and removes it.
 */
public final class TestCgroup implements AutoCloseable {
    private final Path dir;

    private TestCgroup(Path dir) {
        this.dir = dir;
    }

    /** A new cgroup below this JVM's own; empty when the host has no writable cgroup2 hierarchy. */
    public static Optional<TestCgroup> create(String name) {
        try {
            Optional<Path> mount = cgroup2Mount();
            if (mount.isEmpty()) {
                return Optional.empty();
            }
            String own = Files.readAllLines(Path.of("/proc/self/cgroup")).stream()
                    .filter(l -> l.startsWith("0::"))
                    .map(l -> l.substring(3))
                    .findFirst()
                    .orElse("/");
            Path dir = mount.get().resolve(own.substring(1)).resolve(name);
            Files.createDirectory(dir);
            return Optional.of(new TestCgroup(dir));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    public Path path() {
        return dir;
    }

    /** {@code command} started inside this cgroup from its first instruction (a shell joins it, then execs). */
    public List<String> wrap(List<String> command) {
        List<String> wrapped = new ArrayList<>(List.of(
                "sh",
                "-c",
                "echo $$ > \"$0\" && exec \"$@\"",
                dir.resolve("cgroup.procs").toString()));
        wrapped.addAll(command);
        return wrapped;
    }

    /** The cgroups below this one whose name starts with {@code prefix}. */
    public List<Path> below(String prefix) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(d -> !d.equals(dir) && Files.isDirectory(d))
                    .filter(d -> d.getFileName().toString().startsWith(prefix))
                    .toList();
        }
    }

    /** Kills whatever is still in this cgroup or below it, then removes them all, deepest first. */
    @Override
    public void close() throws IOException, InterruptedException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        List<Path> dirs;
        try (Stream<Path> walk = Files.walk(dir)) {
            dirs = walk.filter(Files::isDirectory)
                    .sorted(Comparator.reverseOrder())
                    .toList();
        }
        for (Path d : dirs) {
            for (int attempt = 0; attempt < 250; attempt++) {
                for (String pid : Files.readAllLines(d.resolve("cgroup.procs"))) {
                    ProcessHandle.of(Long.parseLong(pid.strip())).ifPresent(ProcessHandle::destroyForcibly);
                }
                try {
                    Files.delete(d);
                    break;
                } catch (IOException e) {
                    Thread.sleep(20);
                }
            }
        }
    }

    private static Optional<Path> cgroup2Mount() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] halves = line.split(" - ", 2);
            if (halves.length == 2 && halves[1].startsWith("cgroup2 ")) {
                return Optional.of(Path.of(halves[0].split(" ")[4]));
            }
        }
        return Optional.empty();
    }
}
