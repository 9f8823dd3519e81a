package io.jvmm.vmm.qemu;

import io.jvmm.vmm.GuestSnapshot;
import io.jvmm.vmm.HugePages;
import io.jvmm.vmm.VmConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Where one QEMU VM's guest memory lives, and its one owner: anonymous or a memfd (booted VMs, on the host's
 * huge pages when configured and the pool has room), a file of its own in the VMM's directory (a VM to be
 * saved as a template, or a clone on a copy), a file on the host's hugetlbfs (a template on huge pages), or
 * a template's file mapped copy-on-write (a clone sharing it with the others). Chosen once, as QEMU starts;
 * the pool's reservation is held until QEMU has mapped the memory; a hugetlbfs file that no snapshot took
 * is deleted at {@link #close}, which gives its pages back to the pool.
 */
final class QemuMemory implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(QemuMemory.class);
    /** The memory file of a VM in the snapshot layout that is its own (saved, or a clone's copy). */
    private static final String OWN_FILE = "guest.mem";

    private final VmConfig config;
    private final QemuConfinement confinement;
    private final Optional<GuestSnapshot> restoreFrom;
    /** Held from "the pool has room" until QEMU has mapped its memory. */
    private final HugePoolReservation hugePool = new HugePoolReservation();
    /** A VM to be saved whose memory is a file on hugetlbfs (a template on huge pages). */
    private Optional<Path> hugeFile = Optional.empty();
    /** A booted VM of the snapshot layout that is never saved as a template: its memory a memfd, not a file. */
    private boolean memfd;
    /** Whether this restored VM maps the snapshot's memory (copy-on-write) rather than running on a copy. */
    private boolean mapsSnapshot;

    private boolean onHugePages;
    /** A snapshot committed with this memory owns it now. */
    private boolean saved;

    QemuMemory(VmConfig config, QemuConfinement confinement, Optional<GuestSnapshot> restoreFrom) {
        this.config = config;
        this.confinement = confinement;
        this.restoreFrom = restoreFrom;
    }

    void useMemfd() {
        memfd = true;
    }

    void useHugeFile(Path file) {
        hugeFile = Optional.of(file);
    }

    /**
     * Whether the booted VM's memory goes on the host's huge pages: a VM of the command-line layouts, or a
     * snapshot-layout VM on a memfd, when the configuration asks and the pool has room (reserved from here
     * until {@link #mapped}).
     */
    boolean reserveHugePages(boolean snapshotLayout) {
        onHugePages = (!snapshotLayout || memfd)
                && config.hugePages()
                && hugePool.reserve(config.memoryMib(), "this VM's memory is ordinary memory");
        return onHugePages;
    }

    /** QEMU has mapped the memory: the pool's lock goes. */
    void mapped() {
        hugePool.close();
    }

    /**
     * The memory argument of a snapshot-layout VM (see {@code QemuVm.restoring}); {@code lease} holds the
     * template a clone maps, so that it is not deleted under it.
     */
    String snapshotLayout(Consumer<GuestSnapshot> lease) {
        if (memfd) {
            return QemuCommandLine.memfd(config, onHugePages);
        }
        Path own = ownFile();
        if (restoreFrom.isEmpty()) {
            hugeFile.ifPresent(confinement::giveHugeMemory);
            return QemuCommandLine.memoryFile(config, hugeFile.orElse(own), true);
        }
        GuestSnapshot snapshot = restoreFrom.get();
        if (config.shareDir().isEmpty()
                && (!HugePages.holds(snapshot.memory())
                        || hugePool.reserve(
                                config.memoryMib(), "this clone runs on a copy of the template's memory"))) {
            mapsSnapshot = true;
            lease.accept(snapshot);
            return QemuCommandLine.memoryFile(config, snapshot.memory(), false);
        }
        SparseCopy.copy(snapshot.memory(), own);
        confinement.give(own);
        return QemuCommandLine.memoryFile(config, own, true);
    }

    /** The memory file QEMU maps that is not in its state directory: a template's, or one on hugetlbfs. */
    List<Path> outsideStateDir() {
        if (mapsSnapshot) {
            return List.of(restoreFrom.orElseThrow().memory());
        }
        return restoreFrom.isEmpty() ? hugeFile.stream().toList() : List.of();
    }

    /** The memory's place in a snapshot being written, {@code into}: the file moved there, or linked. */
    void saveInto(Path into) throws IOException {
        if (hugeFile.isPresent()) {
            // hugetlbfs files cannot be written or moved to another file system: the snapshot links to it
            Files.createSymbolicLink(into, hugeFile.get());
            return;
        }
        // The VMM's user writes vmm/: what the snapshot took from there must be a file, not a link a
        // compromised QEMU put in its place (the template would name any file). Checked once moved,
        // where only the shim writes.
        Files.move(ownFile(), into);
        if (!Files.isRegularFile(into, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("the guest's memory " + into + " is not a regular file");
        }
    }

    /** The snapshot that took the memory is committed: it owns the memory file now. */
    void committed() {
        saved = true;
    }

    /** The VM's own memory file (present only in the snapshot layout). */
    Path ownFile() {
        return config.vmmDir().resolve(OWN_FILE);
    }

    boolean onHugePages() {
        return onHugePages;
    }

    boolean mapsSnapshot() {
        return mapsSnapshot;
    }

    @Override
    public void close() {
        hugePool.close();
        if (hugeFile.isPresent() && !saved) {
            try {
                Files.deleteIfExists(hugeFile.get()); // gives its huge pages back to the pool
            } catch (IOException e) {
                LOG.warn("cannot remove {}: {}", hugeFile.get(), e.getMessage());
            }
        }
    }
}
