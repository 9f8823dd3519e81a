package io.jvmm.shim.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * containerd versions already asked, by binary identity (path, device and inode, size, modification
 * time), in one small file beside the group sockets: a start whose containerd was asked before spawns
 * nothing (the spawn was 25-32 ms of a JVM {@code start}, docs/benchmarks.md). A replaced binary has
 * another identity and is asked again. The file only ever decides the answer's format; one that cannot be
 * read or parsed is ignored and rewritten.
 */
final class VersionCache {
    /** Lines kept (one per containerd binary a host has run, and upgrades): a bound on what is read. */
    static final int MAX_ENTRIES = 16;

    private static final int MAX_BYTES = 16 * 1024;

    private final Path file;

    VersionCache(Path file) {
        this.file = file;
    }

    /**
     * What identifies {@code binary}'s contents without reading them; empty when it cannot be looked at.
     * The launcher's start without a JVM (packaging/shim/start-fast.sh) makes the same string with
     * {@code stat -L -c '%d|%i|%s|%.9Y'}: path, device, inode, size, modification time to the nanosecond.
     */
    static Optional<String> identity(String binary) {
        try {
            Map<String, Object> a = Files.readAttributes(Path.of(binary), "unix:dev,ino,size,lastModifiedTime");
            Instant modified = ((FileTime) a.get("lastModifiedTime")).toInstant();
            return Optional.of(binary.replace('\t', ' ').replace('\n', ' ') + "|" + a.get("dev") + "|" + a.get("ino")
                    + "|" + a.get("size") + "|" + modified.getEpochSecond() + "."
                    + String.format("%09d", modified.getNano()));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The version recorded for {@code identity}, as {major, minor}. */
    Optional<int[]> lookUp(String identity) {
        for (String[] entry : entries()) {
            if (entry[0].equals(identity)) {
                return parse(entry[1]);
            }
        }
        return Optional.empty();
    }

    /** Records {@code version} for {@code identity}, replacing the file whole (a reader sees the old or new). */
    void record(String identity, int[] version) {
        List<String> lines = new ArrayList<>();
        lines.add(identity + "\t" + version[0] + "." + version[1]);
        for (String[] entry : entries()) {
            if (!entry[0].equals(identity) && lines.size() < MAX_ENTRIES) {
                lines.add(entry[0] + "\t" + entry[1]);
            }
        }
        try {
            Path temp = Files.createTempFile(file.getParent(), ".jvmm-versions", ".tmp");
            try {
                Files.write(temp, lines);
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException | RuntimeException e) {
            // Not recorded: the next start asks again.
        }
    }

    private List<String[]> entries() {
        List<String[]> entries = new ArrayList<>();
        try {
            if (Files.size(file) > MAX_BYTES) {
                return entries;
            }
            for (String line : Files.readAllLines(file)) {
                String[] parts = line.split("\t");
                if (parts.length == 2 && parse(parts[1]).isPresent()) {
                    entries.add(parts);
                }
            }
        } catch (IOException | RuntimeException e) {
            // No file yet, or one that is no cache: nothing recorded.
        }
        return entries;
    }

    private static Optional<int[]> parse(String version) {
        String[] parts = version.split("\\.");
        try {
            return parts.length == 2
                    ? Optional.of(new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])})
                    : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
