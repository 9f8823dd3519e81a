package io.jvmm.vmm;

import io.jvmm.api.Sha256;
import io.jvmm.api.json.Json;
import io.jvmm.api.json.JsonObject;
import io.jvmm.api.json.JsonRecords;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A saved guest on disk, one directory: the device state, the guest's memory and {@code manifest.json}.
 * QEMU and Firecracker write {@code guest.vmstate} (device state; for QEMU the migration stream without
 * RAM) and {@code guest.mem} (the memory file); Cloud Hypervisor writes its own {@code config.json},
 * {@code state.json} and {@code memory-ranges} (see {@link #stateFiles}). It is written as
 * {@code <dir>.partial} and renamed into place once every file is fsynced, so a directory without that
 * suffix is always whole; its files are then read-only.
 */
public record GuestSnapshot(Path dir) {
    /** Raised whenever the layout of the files or the meaning of a manifest field changes. */
    public static final int FORMAT = 1;

    private static final String LEGACY_VERSION = "qemuVersion";

    public Path vmstate() {
        return dir.resolve("guest.vmstate");
    }

    public Path memory() {
        return dir.resolve("guest.mem");
    }

    /** The files holding the device state for {@code monitor}, in the order the manifest hashes them. */
    public List<Path> stateFiles(VmmType monitor) {
        return stateNames(monitor).stream().map(dir::resolve).toList();
    }

    /** The guest-memory file for {@code monitor}. */
    public Path memoryFile(VmmType monitor) {
        return dir.resolve(memoryName(monitor));
    }

    private static List<String> stateNames(VmmType monitor) {
        return monitor == VmmType.CLOUD_HYPERVISOR ? List.of("config.json", "state.json") : List.of("guest.vmstate");
    }

    private static String memoryName(VmmType monitor) {
        return monitor == VmmType.CLOUD_HYPERVISOR ? "memory-ranges" : "guest.mem";
    }

    public Path manifestFile() {
        return dir.resolve("manifest.json");
    }

    /** Where the snapshot is written before it is complete. */
    public Path partialDir() {
        return dir.resolveSibling(dir.getFileName() + ".partial");
    }

    /**
     * The VM a snapshot was taken of, and the files it consists of. Format 1 began QEMU-only: a manifest
     * without {@code monitor} is QEMU's, and its monitor version was called {@code qemuVersion}.
     */
    public record Manifest(
            int format,
            String creator,
            String monitor,
            String monitorVersion,
            int vcpus,
            int memoryMib,
            String accel,
            List<String> image,
            String kernelArgs,
            String vmstateSha256,
            long memoryBytes) {
        public Manifest {
            monitor = monitor == null ? VmmType.QEMU.name() : monitor;
        }

        static Manifest of(
                VmConfig config,
                VmmType monitor,
                String creator,
                String monitorVersion,
                String vmstateSha256,
                long memoryBytes)
                throws IOException {
            return new Manifest(
                    FORMAT,
                    creator,
                    monitor.name(),
                    monitorVersion,
                    config.vcpus(),
                    config.memoryMib(),
                    config.accel().name(),
                    imageOf(config),
                    config.extraKernelArgs(),
                    vmstateSha256,
                    memoryBytes);
        }
    }

    /** The guest image a VM boots, each file as path, size and modification time (they are content-named). */
    public static List<String> imageOf(VmConfig config) throws IOException {
        return imageOf(config.kernel(), config.initrd(), config.runtimeDisk());
    }

    /** The same for the image files themselves (a VM's configuration may not exist yet). */
    public static List<String> imageOf(Path kernel, Path initrd, Optional<Path> runtimeDisk) throws IOException {
        List<String> image = new ArrayList<>();
        for (Path p : new Path[] {kernel, initrd, runtimeDisk.orElse(null)}) {
            if (p != null) {
                image.add(imageFile(p));
            }
        }
        return image;
    }

    private static String imageFile(Path p) throws IOException {
        return p + ":" + Files.size(p) + ":" + Files.getLastModifiedTime(p).toMillis();
    }

    public boolean exists() {
        return Files.isRegularFile(manifestFile());
    }

    /**
     * Whether every file of the guest image this snapshot was saved from is still there as it was (same
     * size and modification time; see {@link #imageOf}). A snapshot whose image was removed or replaced
     * can never be restored again.
     */
    public boolean imageStillThere() {
        for (String file : manifest().image()) {
            // path:size:mtime, the path possibly holding ':' itself
            int mtime = file.lastIndexOf(':');
            int size = mtime < 0 ? -1 : file.lastIndexOf(':', mtime - 1);
            if (size <= 0) {
                return false;
            }
            Path path = Path.of(file.substring(0, size));
            try {
                if (!Files.isRegularFile(path) || !imageFile(path).equals(file)) {
                    return false;
                }
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }

    public Manifest manifest() {
        try {
            if (!(Json.parse(manifestFile()) instanceof JsonObject m)) {
                throw new IOException("not a JSON object");
            }
            // format 1 as first written, QEMU-only: the monitor's version was "qemuVersion"
            Object legacy = m.remove(LEGACY_VERSION);
            if (legacy != null) {
                m.putIfAbsent("monitorVersion", legacy);
            }
            return JsonRecords.read(m, Manifest.class);
        } catch (IOException e) {
            throw new VmException.SnapshotMismatch("snapshot " + dir + " has no readable manifest: " + e.getMessage());
        }
    }

    /**
     * Checks, before anything is started, that this snapshot can be restored into {@code config}: format,
     * size, accelerator, guest image and kernel arguments as recorded, files present with the recorded
     * size, the device state with its recorded hash.
     */
    public Manifest verifyFor(VmConfig config, VmmType monitor) {
        Manifest m = manifest();
        List<String> problems = new ArrayList<>();
        if (m.format() != FORMAT) {
            problems.add("format " + m.format() + ", this runtime reads " + FORMAT);
        }
        if (!m.monitor().equals(monitor.name())) {
            problems.add("saved by " + m.monitor() + ", asked to restore with " + monitor);
        }
        if (m.vcpus() != config.vcpus() || m.memoryMib() != config.memoryMib()) {
            problems.add("saved with " + m.vcpus() + " vCPU / " + m.memoryMib() + " MiB, asked for " + config.vcpus()
                    + " / " + config.memoryMib());
        }
        if (!m.accel().equals(config.accel().name())) {
            problems.add("saved under " + m.accel() + ", asked for " + config.accel());
        }
        try {
            if (!m.image().equals(imageOf(config))) {
                problems.add("saved from guest image " + m.image() + ", asked for " + imageOf(config));
            }
            if (!m.kernelArgs().equals(config.extraKernelArgs())) {
                problems.add("saved with kernel arguments \"" + m.kernelArgs() + "\"");
            }
            Path memory = memoryFile(monitor);
            if (!Files.isRegularFile(memory) || Files.size(memory) != m.memoryBytes()) {
                problems.add("memory file missing or not " + m.memoryBytes() + " bytes");
            }
            List<Path> state = stateFiles(monitor);
            if (!state.stream().allMatch(Files::isRegularFile)
                    || !Sha256.ofFiles(state).equals(m.vmstateSha256())) {
                problems.add("device state missing or not the one the manifest hashes");
            }
        } catch (IOException e) {
            problems.add("cannot read its files: " + e.getMessage());
        }
        if (!problems.isEmpty()) {
            throw new VmException.SnapshotMismatch("snapshot " + dir + " does not fit: " + String.join("; ", problems));
        }
        return m;
    }

    /**
     * Completes a snapshot whose device state and memory are in {@link #partialDir()}: writes the manifest,
     * makes the files read-only, fsyncs them and the directory, renames it into place.
     */
    public void commit(VmConfig config, VmmType monitor, String monitorVersion) throws IOException {
        Path partial = partialDir();
        List<Path> state = stateNames(monitor).stream().map(partial::resolve).toList();
        Path mem = partial.resolve(memoryName(monitor));
        Manifest m = Manifest.of(
                config,
                monitor,
                "jvmm "
                        + Optional.ofNullable(GuestSnapshot.class.getPackage().getImplementationVersion())
                                .orElse("dev"),
                monitorVersion,
                Sha256.ofFiles(state),
                Files.size(mem));
        Path manifest = partial.resolve(manifestFile().getFileName());
        Files.write(manifest, Json.writeBytes(m, true));
        List<Path> files = new ArrayList<>(state);
        files.add(mem);
        files.add(manifest);
        for (Path p : files) {
            fsync(p);
            p.toFile().setReadOnly();
        }
        fsync(partial);
        Files.move(partial, dir, StandardCopyOption.ATOMIC_MOVE);
        fsync(dir.getParent());
    }

    /**
     * Marks the snapshot in use for as long as the returned lease is open (a shared lock on its manifest):
     * a VM that maps its memory holds one, and {@link #deleteUnlessInUse} refuses while any is held.
     */
    public Closeable lease() throws IOException {
        Path key = manifestFile().toAbsolutePath().normalize();
        synchronized (LEASES) {
            SharedLock held = LEASES.get(key);
            if (held == null) {
                held = SharedLock.take(key);
                LEASES.put(key, held);
            }
            held.users++;
        }
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) {
                release(key);
            }
        };
    }

    /**
     * One shared lock per snapshot and process, counted: a JVM cannot hold two overlapping locks on one
     * file (an in-process test runs many clones), and the lock is what other processes see.
     */
    private static final Map<Path, SharedLock> LEASES = new HashMap<>();

    private static final class SharedLock {
        private final FileChannel channel;
        private final FileLock lock;
        private int users;

        private SharedLock(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }

        static SharedLock take(Path file) throws IOException {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
            try {
                return new SharedLock(channel, channel.lock(0, Long.MAX_VALUE, true));
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        }
    }

    private static void release(Path key) throws IOException {
        synchronized (LEASES) {
            SharedLock held = LEASES.get(key);
            if (held != null && --held.users == 0) {
                LEASES.remove(key);
                held.lock.release();
                held.channel.close();
            }
        }
    }

    /** Whether a VM (of any process) maps this snapshot's memory now, i.e. holds a {@link #lease}. */
    public boolean inUse() throws IOException {
        synchronized (LEASES) {
            if (LEASES.containsKey(manifestFile().toAbsolutePath().normalize())) {
                return true;
            }
        }
        try (FileChannel channel = FileChannel.open(manifestFile(), StandardOpenOption.READ, StandardOpenOption.WRITE);
                var lock = channel.tryLock()) {
            return lock == null;
        }
    }

    /**
     * Deletes the snapshot unless a VM maps it (holds a {@link #lease}); answers whether it was deleted.
     * The directory is first renamed aside, so no one finds it half-deleted.
     */
    public boolean deleteUnlessInUse() throws IOException {
        if (!exists()) {
            return false;
        }
        synchronized (LEASES) {
            if (LEASES.containsKey(manifestFile().toAbsolutePath().normalize())) {
                return false; // this process has a VM on it
            }
        }
        try (FileChannel channel = FileChannel.open(manifestFile(), StandardOpenOption.READ, StandardOpenOption.WRITE);
                var lock = channel.tryLock()) {
            if (lock == null) {
                return false;
            }
            Path aside = dir.resolveSibling(dir.getFileName() + ".deleting");
            deleteWithLinkedMemory(aside);
            Files.move(dir, aside, StandardCopyOption.ATOMIC_MOVE);
        } catch (OverlappingFileLockException e) {
            return false; // this process holds a lease
        }
        deleteWithLinkedMemory(dir.resolveSibling(dir.getFileName() + ".deleting"));
        return true;
    }

    /** Removes what a crash left of an unfinished snapshot of this name. */
    public void removePartial() throws IOException {
        deleteWithLinkedMemory(partialDir());
    }

    /**
     * Deletes a snapshot directory, and the memory file its {@code guest.mem} links to when that is a link
     * (memory on hugetlbfs, {@link HugePages}): deleting only the link would keep the huge pages taken.
     */
    private static void deleteWithLinkedMemory(Path snapshotDir) throws IOException {
        Path link = snapshotDir.resolve("guest.mem");
        if (Files.isSymbolicLink(link)) {
            Files.deleteIfExists(Files.readSymbolicLink(link));
        }
        SafeTree.delete(snapshotDir);
    }

    private static void fsync(Path p) throws IOException {
        try (FileChannel channel =
                FileChannel.open(p, Files.isDirectory(p) ? StandardOpenOption.READ : StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }
}
