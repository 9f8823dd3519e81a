package io.jvmm.vmm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** This process's mount table ({@code /proc/self/mountinfo}), as teardown reads it. */
public final class MountTable {
    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    private MountTable() {}

    /** The mount points at or below {@code dir}, deepest first (the order to unmount them in). */
    public static List<Path> under(Path dir) throws IOException {
        String prefix = dir.toString();
        List<Path> result = new ArrayList<>();
        for (String line : Files.readAllLines(MOUNTINFO, StandardCharsets.UTF_8)) {
            String point = unescape(line.split(" ")[4]);
            if (point.equals(prefix) || point.startsWith(prefix + "/")) {
                result.add(Path.of(point));
            }
        }
        result.sort(Comparator.comparingInt((Path p) -> p.getNameCount()).reversed());
        return result;
    }

    /** mountinfo writes space, tab, newline and backslash in a path as octal escapes. */
    private static String unescape(String field) {
        return field.replace("\\040", " ")
                .replace("\\011", "\t")
                .replace("\\012", "\n")
                .replace("\\134", "\\");
    }
}
