package io.jvmm.vmm.qemu;

import io.jvmm.vmm.HugePages;
import io.jvmm.vmm.VmException;
import java.io.Closeable;
import java.io.IOException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A private mapping of a hugetlbfs file, like a memfd on huge pages, reserves its whole size from the pool
 * when QEMU maps it: a clone that would map a template on huge pages, or a VM booted on them, holds the
 * pool's lock from "the pool has room" until QEMU has mapped its memory, so two VMs cannot both count the
 * same free pages.
 */
final class HugePoolReservation implements Closeable {
    private static final Logger LOG = LogManager.getLogger(HugePoolReservation.class);
    private Closeable lock;

    /**
     * True (the pool locked until {@link #close}) when the pool can hold {@code memoryMib} more; false, logging
     * {@code otherwise} (what the VM does instead), when it cannot or the host has no hugetlbfs mount.
     */
    boolean reserve(int memoryMib, String otherwise) {
        var pool = HugePages.mounted();
        if (pool.isEmpty()) {
            LOG.info("huge pages asked for, but the host has no hugetlbfs mount: {}", otherwise);
            return false;
        }
        try {
            lock = pool.get().lockPool();
            if (pool.get().freeBytes() >= (long) memoryMib << 20) {
                return true;
            }
            close();
            LOG.info("huge page pool cannot hold another {} MiB: {}", memoryMib, otherwise);
            return false;
        } catch (IOException e) {
            throw new VmException.BootFailed("cannot lock the huge page pool: " + e.getMessage(), e);
        }
    }

    /** QEMU has mapped the memory (or will not): the pool's lock goes. Idempotent. */
    @Override
    public void close() {
        if (lock != null) {
            try {
                lock.close();
            } catch (IOException e) {
                LOG.warn("cannot release the huge page pool lock: {}", e.getMessage());
            }
            lock = null;
        }
    }
}
