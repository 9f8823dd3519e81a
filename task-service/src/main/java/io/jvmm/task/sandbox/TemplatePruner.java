package io.jvmm.task.sandbox;

import io.jvmm.vmm.GuestSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Keeps a state root's VM templates within their {@link TemplateLimits}: those unused for longer than
 * allowed go, then the least recently used until the rest (and a template about to be made) fit. A template
 * is used when a sandbox is restored from it ({@link #markUsed}); one never used counts from when it was
 * made. Pinned templates and those a running VM maps are never deleted (they still count towards the size).
 */
final class TemplatePruner {
    private static final Logger LOG = LogManager.getLogger(TemplatePruner.class);
    /** Beside a template's snapshot: touched at every restore from it. */
    static final String USED = "used";

    private TemplatePruner() {}

    /** Notes that a sandbox is restored from {@code template} now. */
    static void markUsed(GuestSnapshot template) throws IOException {
        Path used = template.dir().resolveSibling(USED);
        if (!Files.exists(used)) {
            Files.writeString(used, "");
        }
        Files.setLastModifiedTime(used, FileTime.from(Instant.now()));
    }

    /** When {@code template} was last restored from, or made if never. */
    static Instant lastUsed(GuestSnapshot template) throws IOException {
        Path used = template.dir().resolveSibling(USED);
        Instant made = Files.getLastModifiedTime(template.dir()).toInstant();
        try {
            Instant restored = Files.getLastModifiedTime(used).toInstant();
            return restored.isAfter(made) ? restored : made;
        } catch (NoSuchFileException e) {
            return made;
        }
    }

    /** The bytes of a template's files (their apparent sizes: a memory file's, at most the VM's memory). */
    static long bytes(GuestSnapshot template) throws IOException {
        long total = 0;
        try (var files = Files.list(template.dir())) {
            for (Path f : files.toList()) {
                if (Files.isRegularFile(f)) {
                    total += Files.size(f);
                }
            }
        }
        return total;
    }

    /**
     * Deletes what {@code limits} do not allow at {@code now}, leaving room for {@code reserveMib} more (a
     * template about to be made); answers the deleted ones.
     */
    static List<GuestSnapshot> prune(Path stateRoot, TemplateLimits limits, long reserveMib, Instant now)
            throws IOException {
        List<GuestSnapshot> deleted = new ArrayList<>();
        if (limits.equals(TemplateLimits.NONE)) {
            return deleted;
        }
        record Entry(GuestSnapshot template, Instant lastUsed, long bytes) {}
        List<Entry> entries = new ArrayList<>();
        for (GuestSnapshot t : VmTemplates.list(stateRoot)) {
            entries.add(new Entry(t, lastUsed(t), bytes(t)));
        }
        entries.sort(Comparator.comparing(Entry::lastUsed));
        long total = entries.stream().mapToLong(Entry::bytes).sum();
        long allowed = limits.maxMib().isPresent()
                ? Math.max(0, limits.maxMib().getAsLong() - reserveMib) << 20
                : Long.MAX_VALUE;
        for (Entry e : entries) {
            Duration idle = Duration.between(e.lastUsed(), now);
            boolean tooOld = limits.maxUnused().isPresent()
                    && idle.compareTo(limits.maxUnused().get()) > 0;
            boolean tooMuch = total > allowed;
            if (!tooOld && !tooMuch) {
                continue;
            }
            if (VmTemplates.pinned(e.template()) || !e.template().deleteUnlessInUse()) {
                continue; // kept: pinned, or a VM maps it
            }
            total -= e.bytes();
            deleted.add(e.template());
            Files.deleteIfExists(e.template().dir().resolveSibling(USED));
            VmTemplates.removeKeyIfEmpty(e.template().dir().getParent());
            LOG.info(
                    "deleted VM template {}: {}",
                    e.template().dir(),
                    tooOld ? "unused for " + idle.toDays() + " days" : "the templates' size limit");
        }
        return deleted;
    }
}
