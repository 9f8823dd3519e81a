package io.jvmm.vmm.qemu;

import io.jvmm.vmm.HugePages;
import io.jvmm.vmm.VmException;
import java.io.Closeable;
import java.io.IOException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A private mapping of a hugetlbfs file reserves its whole size from the pool when QEMU maps it: a clone
 * that would map a template on huge pages holds the pool's lock from "the pool has room" until QEMU has
 * mapped its memory, so two clones cannot both count the same free pages.
 */
final class HugePoolReservation implements Closeable {
    private static final Logger LOG = LogManager.getLogger(HugePoolReservation.class);
    private Closeable lock;

    /** True (the pool locked until {@link #close}) when the pool can hold {@code memoryMib} more; false when the clone must run on a copy. */
    boolean reserve(int memoryMib) {
        var pool = HugePages.mounted();
        if (pool.isEmpty()) {
            return false;
        }
        try {
            lock = pool.get().lockPool();
            if (pool.get().freeBytes() >= (long) memoryMib << 20) {
                return true;
            }
            close();
            LOG.info(
                    "huge page pool cannot hold another {} MiB: this clone runs on a copy of the template's memory",
                    memoryMib);
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
