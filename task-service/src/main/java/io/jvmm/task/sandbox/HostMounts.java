package io.jvmm.task.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Mounts on the host, through mount(8) and umount(8) so every option containerd's snapshotters use works. */
public final class HostMounts {

    private HostMounts() {
    }

    /** One containerd mount ({@code type}, {@code source}, mount(8) options) at {@code target}. */
    public static void mount(String type, String source, Path target, List<String> options) throws IOException {
        List<String> command = new ArrayList<>(List.of("mount", "-t", type.isEmpty() ? "none" : type));
        if (!options.isEmpty()) {
            command.addAll(List.of("-o", String.join(",", options)));
        }
        command.addAll(List.of(source.isEmpty() ? "none" : source, target.toString()));
        run(command);
    }

    public static void bind(Path source, Path target, boolean readOnly) throws IOException {
        run(List.of("mount", "--rbind", source.toString(), target.toString()));
        if (readOnly) {
            run(List.of("mount", "-o", "remount,bind,ro", target.toString()));
        }
    }

    /**
     * Makes {@code dir} a mount point of its own with shared propagation, so mounts made below it later
     * also appear in helper processes (virtiofsd) that hold a slave copy of it.
     */
    public static void makeSharedMountPoint(Path dir) throws IOException {
        run(List.of("mount", "--bind", dir.toString(), dir.toString()));
        run(List.of("mount", "--make-rshared", dir.toString()));
    }

    /** Every mount point at or below {@code dir}, deepest first. */
    public static List<Path> mountsUnder(Path dir) throws IOException {
        String prefix = dir.toString();
        List<Path> result = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
            String point = unescape(line.split(" ")[4]);
            if (point.equals(prefix) || point.startsWith(prefix + "/")) {
                result.add(Path.of(point));
            }
        }
        result.sort(Comparator.comparingInt((Path p) -> p.getNameCount()).reversed());
        return result;
    }

    /** Detaches every mount at or below {@code dir}; quiet when there is none. */
    public static void unmountAll(Path dir) throws IOException {
        for (Path p : mountsUnder(dir)) {
            run(List.of("umount", "--lazy", p.toString()), true);
        }
    }

    private static String unescape(String field) {
        return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }

    private static void run(List<String> command) throws IOException {
        HostCommand.run(command);
    }

    private static void run(List<String> command, boolean ignoreNotMounted) throws IOException {
        HostCommand.run(command, ignoreNotMounted ? "not mounted" : null);
    }
}
