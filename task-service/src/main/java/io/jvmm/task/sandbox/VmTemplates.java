package io.jvmm.task.sandbox;

import io.jvmm.agent.client.AgentClient;
import io.jvmm.task.TaskException;
import io.jvmm.vmm.Accel;
import io.jvmm.vmm.GuestSnapshot;
import io.jvmm.vmm.HugePages;
import io.jvmm.vmm.MonitorLauncher;
import io.jvmm.vmm.VirtualMachine;
import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.VmmType;
import io.jvmm.vmm.VmmUser;
import io.jvmm.vmm.qemu.QemuVm;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Saved, agent-ready guests that sandboxes restore instead of booting (QEMU): one per guest image
 * (kernel, initrd, runtime disk with the agent), VM size and accelerator, a {@link GuestSnapshot} in
 * {@code <stateRoot>/t/<key>/snapshot}. The first sandbox that needs one makes it, under a lock so
 * concurrent shims make it once; the directory appears only complete ({@link VirtualMachine#saveSnapshot} writes
 * it as {@code snapshot.partial}, fsyncs and renames it); what a crash left half-written is removed
 * under the same lock before the next attempt.
 */
public final class VmTemplates {
    private static final Logger LOG = LogManager.getLogger(VmTemplates.class);
    static final String SNAPSHOT = "snapshot";
    /** Beside a template's snapshot: an operator's mark that keeps it from bulk deletion. */
    private static final String PINNED = "pinned";
    /** In a template's key directory: the file its makers lock, so concurrent shims make it once. */
    private static final String MAKER_LOCK = "lock";
    /** In a template's key directory: what the last maker started beside a sandbox printed. */
    public static final String MAKER_LOG = "maker.log";

    private VmTemplates() {}

    /**
     * The template for this image, size and accelerator, made now if there is none (what {@code templates
     * make} and the maker a sandbox starts beside itself run: {@link TemplateMaker}).
     */
    public static GuestSnapshot ensure(SandboxSettings settings, VmSize size, Accel accel) throws IOException {
        return readyForClones(settings, made(settings, size, accel));
    }

    /** The template of {@code settings} at {@code size} under its accelerator ({@code auto} resolved), made now if missing. */
    public static GuestSnapshot ensure(SandboxSettings settings, VmSize size) throws IOException {
        return ensure(settings, size, AccelChoice.resolve(settings));
    }

    /**
     * The template for this image, size and accelerator if it is complete, ready for a clone; empty if it is
     * not (yet): the sandbox then boots cold and has it made beside ({@link TemplateMaker}).
     */
    public static Optional<GuestSnapshot> ready(SandboxSettings settings, GuestSnapshot snapshot) throws IOException {
        if (!isWhole(snapshot)) {
            return Optional.empty();
        }
        TemplatePruner.markUsed(snapshot);
        return Optional.of(readyForClones(settings, snapshot));
    }

    /** Where a maker started beside a sandbox writes its output: in the template's key directory, made here. */
    public static Path makerLog(SandboxSettings settings, GuestSnapshot template) throws IOException {
        Path key = template.dir().getParent();
        StateRoot.createTraversable(settings.stateRoot(), key);
        return key.resolve(MAKER_LOG);
    }

    /** Whether a maker holds this template's lock now (it is being made: no second maker need start). */
    public static boolean beingMade(GuestSnapshot template) throws IOException {
        Path lockFile = template.dir().resolveSibling(MAKER_LOCK);
        if (!Files.exists(lockFile)) {
            return false;
        }
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE);
                FileLock lock = channel.tryLock()) {
            return lock == null;
        } catch (OverlappingFileLockException e) {
            return true; // this process makes it
        }
    }

    private static GuestSnapshot readyForClones(SandboxSettings settings, GuestSnapshot snapshot) throws IOException {
        // Clones' QEMU, run as the VMM's user, opens the memory file inside: the directories let it through,
        // and QEMU 7.2 opens a private mapping's file read-write (rom=off with readonly=on, which would not,
        // came in 8.2), so its user may write it (docs/security.md says what that means).
        StateRoot.createTraversable(settings.stateRoot(), snapshot.dir());
        Optional<VmmUser> user = settings.vmmAccount();
        if (user.isPresent()) {
            giveMemoryTo(user.get(), snapshot.memory());
        }
        return snapshot;
    }

    /**
     * The template's memory file for the VMM's user, read-write (the snapshot left it read-only). Never a
     * chown through a link (as root it would go wherever the link points): on huge pages the memory is a
     * link to the hugetlbfs file that user was given when it was made, which only needs its mode back.
     */
    private static void giveMemoryTo(VmmUser user, Path memory) throws IOException {
        Path file = memory;
        if (Files.isSymbolicLink(memory)) {
            file = memory.toRealPath();
            if (!HugePages.holds(file) || !user.owns(file)) {
                throw new IOException(
                        "template memory " + memory + " links to " + file + ", not a hugetlbfs file of " + user.name());
            }
        } else {
            user.own(file);
        }
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }

    private static GuestSnapshot made(SandboxSettings settings, VmSize size, Accel accel) throws IOException {
        GuestSnapshot snapshot = locate(settings, size, accel);
        Path dir = snapshot.dir().getParent();
        if (isWhole(snapshot)) {
            return snapshot;
        }
        StateRoot.createTraversable(settings.stateRoot(), dir);
        try (FileChannel channel =
                        FileChannel.open(dir.resolve(MAKER_LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = channel.lock()) {
            if (!isWhole(snapshot)) {
                if (snapshot.exists() && !snapshot.deleteUnlessInUse()) {
                    throw new IOException(
                            "template " + snapshot.dir() + " lost its memory file but a VM still maps it");
                }
                snapshot.removePartial();
                SandboxDirs.deleteTree(dir.resolve("vm"));
                deleteHugeLeftovers(dir.getFileName().toString());
                deleteStale(settings.stateRoot());
                TemplatePruner.prune(settings.stateRoot(), settings.templateLimits(), size.memoryMib(), Instant.now());
                make(settings, size, accel, dir, snapshot);
            }
        }
        return snapshot;
    }

    /**
     * Complete, and its memory still there: a template on huge pages links to a hugetlbfs file, which the
     * host's reboot (or an operator) may have removed; it is then made again.
     */
    private static boolean isWhole(GuestSnapshot snapshot) {
        return snapshot.exists() && Files.exists(snapshot.memory());
    }

    /** Huge-page memory files a killed maker of this template left (they hold pool pages until deleted). */
    private static void deleteHugeLeftovers(String key) throws IOException {
        var pool = HugePages.mounted();
        if (pool.isEmpty()) {
            return;
        }
        try (var files = Files.list(pool.get().mount())) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith(HUGE_PREFIX + key + "-"))
                    .toList()) {
                Files.deleteIfExists(f);
            }
        }
    }

    private static final String HUGE_PREFIX = "jvmm-t-";

    private static void make(SandboxSettings settings, VmSize size, Accel accel, Path dir, GuestSnapshot snapshot)
            throws IOException {
        long begin = System.nanoTime();
        Path work = dir.resolve("vm");
        VmConfig config = new VmConfig(
                        work,
                        settings.kernel(),
                        settings.initrd(),
                        settings.runtimeDisk(),
                        Optional.empty(),
                        size.vcpus(),
                        size.memoryMib(),
                        3,
                        accel,
                        settings.extraKernelArgs())
                .withCpuModel(settings.cpuModel())
                .withVmmUser(settings.vmmAccount());
        Optional<Path> huge = hugeMemoryFile(settings, size, dir.getFileName().toString());
        long memoryBytes = (long) size.memoryMib() << 20;
        String what = "a template of " + size.memoryMib() + " MiB";
        if (huge.isEmpty()) { // its memory file goes into the template's directory (the pool's room is checked)
            Admission.requireSpace(dir, memoryBytes, what);
        }
        VirtualMachine vm = huge.<VirtualMachine>map(file -> QemuVm.onHugePages(config, accel == Accel.KVM, file))
                .orElseGet(() -> VmmType.QEMU.createSnapshottable(config, MonitorLauncher.PROCESS));
        try {
            bootAndSave(settings, vm, snapshot);
        } catch (IOException | RuntimeException e) {
            // The room admission saw may have been taken while the guest filled its memory file (QEMU then dies
            // of SIGBUS) or while its state was written: that, with the numbers, is what the caller must read.
            // Measured once this VM's own files are gone (the finally's close and delete then find nothing to do).
            vm.close();
            SandboxDirs.deleteTree(work);
            Optional<TaskException> shortage =
                    huge.isPresent() ? Optional.empty() : Admission.shortage(dir, memoryBytes, what, e);
            if (shortage.isPresent()) {
                throw shortage.get();
            }
            throw e;
        } finally {
            vm.close();
            SandboxDirs.deleteTree(work);
        }
        LOG.info(
                "made VM template {} ({} vCPU, {} MiB, {}) in {} ms",
                snapshot.dir(),
                size.vcpus(),
                size.memoryMib(),
                accel,
                (System.nanoTime() - begin) / 1_000_000);
    }

    /** Boots the template's guest, warms its agent up, and saves it once the agent has answered. */
    private static void bootAndSave(SandboxSettings settings, VirtualMachine vm, GuestSnapshot snapshot)
            throws IOException {
        vm.start(settings.bootTimeout());
        try (AgentClient agent = GuestConnector.connect(vm, settings.bootTimeout())) {
            agent.ping(Duration.ofSeconds(10));
            warmUp(agent);
            agent.syncAndShrink();
        }
        vm.saveSnapshot(snapshot, settings.bootTimeout());
    }

    /**
     * Makes the template's agent run, once, the set-up every clone asks for first (clock, hostname, entropy
     * and reseed, machine id), so that the clones inherit that code loaded and linked instead of paying for
     * it under emulation (about half a second of a clone's start under TCG). The clone's own call then sets
     * its real identity.
     */
    private static void warmUp(AgentClient agent) {
        agent.setupRestoredGuest(
                System.currentTimeMillis() * 1_000_000L, "jvmm-template", GuestHandshake.freshEntropy(), "", "");
    }

    /**
     * A memory file on huge pages for a new template, when the configuration asks for them and the pool can
     * hold the template and one clone's reservation (a clone maps the file privately; see HugePages).
     */
    private static Optional<Path> hugeMemoryFile(SandboxSettings settings, VmSize size, String key) {
        if (!settings.hugePages()) {
            return Optional.empty();
        }
        long bytes = (long) size.memoryMib() << 20;
        Optional<HugePages> pool = HugePages.withFree(2 * bytes);
        if (pool.isEmpty()) {
            LOG.info(
                    "huge pages asked for, but no hugetlbfs pool with {} MiB free: the template uses ordinary memory",
                    2 * size.memoryMib());
            return Optional.empty();
        }
        return Optional.of(
                pool.get().mount().resolve(HUGE_PREFIX + key + "-" + Long.toHexString(System.nanoTime()) + ".mem"));
    }

    /** Where the template for this image, size and accelerator is, whether or not it exists yet. */
    public static GuestSnapshot locate(SandboxSettings settings, VmSize size, Accel accel) throws IOException {
        return new GuestSnapshot(settings.stateRoot()
                .resolve("t")
                .resolve(key(settings, size, accel))
                .resolve(SNAPSHOT));
    }

    /**
     * Deletes what the configuration's {@link TemplateLimits} do not allow (unused too long, beyond the size);
     * pinned templates and those a VM maps are kept.
     *
     * @return the deleted templates
     */
    public static List<GuestSnapshot> deleteBeyondLimits(Path stateRoot, TemplateLimits limits) throws IOException {
        return TemplatePruner.prune(stateRoot, limits, 0, Instant.now());
    }

    /**
     * Deletes the templates whose guest image is gone or was replaced (a reinstall removes the image it
     * replaces): none can be restored again, and under the default state root ({@code /run}) each keeps
     * its memory, some 200 MiB, in RAM. A template a VM still maps, or that an operator pinned, is kept.
     * Runs whenever a new template is made, as that is when an image has changed.
     *
     * @return the deleted templates
     */
    public static List<GuestSnapshot> deleteStale(Path stateRoot) throws IOException {
        List<GuestSnapshot> deleted = new ArrayList<>();
        for (GuestSnapshot template : list(stateRoot)) {
            if (isStale(template) && !pinned(template) && template.deleteUnlessInUse()) {
                LOG.info("deleted VM template {}: its guest image is gone", template.dir());
                removeKeyIfEmpty(template.dir().getParent());
                deleted.add(template);
            }
        }
        return deleted;
    }

    /**
     * Whether the template's guest image is gone or was replaced. One whose manifest cannot be read is left
     * alone (logged): what cannot be read is not deleted on a guess.
     */
    public static boolean isStale(GuestSnapshot template) {
        try {
            return !template.imageStillThere();
        } catch (RuntimeException e) {
            LOG.warn("VM template {}: {}", template.dir(), e.getMessage());
            return false;
        }
    }

    /** A template's key directory once it holds nothing but the makers' lock file (no maker can need it again). */
    static void removeKeyIfEmpty(Path key) throws IOException {
        try (var entries = Files.list(key)) {
            if (entries.anyMatch(p -> !p.getFileName().toString().equals(MAKER_LOCK)
                    && !p.getFileName().toString().equals(MAKER_LOG)
                    && !p.getFileName().toString().equals(TemplatePruner.USED))) {
                return;
            }
        }
        Files.deleteIfExists(key.resolve(TemplatePruner.USED));
        Files.deleteIfExists(key.resolve(MAKER_LOG));
        Files.deleteIfExists(key.resolve(MAKER_LOCK));
        try {
            Files.deleteIfExists(key);
        } catch (DirectoryNotEmptyException e) {
            // a maker of the same key has just started: its directory stays
        }
    }

    public static boolean pinned(GuestSnapshot template) {
        return Files.exists(template.dir().resolveSibling(PINNED));
    }

    /** Pins a template (kept by bulk deletion and {@link #deleteStale}) or unpins it. */
    public static void pin(GuestSnapshot template, boolean pin) throws IOException {
        if (pin) {
            Files.writeString(template.dir().resolveSibling(PINNED), "");
        } else {
            Files.deleteIfExists(template.dir().resolveSibling(PINNED));
        }
    }

    /** The complete templates under {@code stateRoot} (a half-written one is never listed). */
    public static List<GuestSnapshot> list(Path stateRoot) throws IOException {
        Path root = stateRoot.resolve("t");
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (var keys = Files.list(root)) {
            return keys.map(k -> new GuestSnapshot(k.resolve(SNAPSHOT)))
                    .filter(GuestSnapshot::exists)
                    .sorted(Comparator.comparing(GuestSnapshot::dir))
                    .toList();
        }
    }

    /**
     * Identifies a template: the image files (path, size, modification time: they are content-named), size,
     * accelerator, kernel arguments and CPU model (a guest saved on one CPU must not resume on one with fewer features).
     */
    static String key(SandboxSettings settings, VmSize size, Accel accel) throws IOException {
        StringBuilder id = new StringBuilder();
        for (String file : GuestSnapshot.imageOf(settings.kernel(), settings.initrd(), settings.runtimeDisk())) {
            id.append(file).append('\n');
        }
        id.append(size.vcpus())
                .append('/')
                .append(size.memoryMib())
                .append('/')
                .append(accel)
                .append('/')
                .append(settings.extraKernelArgs());
        settings.cpuModel().ifPresent(model -> id.append("/cpu=").append(model));
        // A template's memory file belongs to the user whose QEMU wrote it, and is opened by its clones' QEMU.
        settings.vmmUser().ifPresent(user -> id.append("/user=").append(user));
        return SandboxDirs.shortHash(id.toString());
    }
}
