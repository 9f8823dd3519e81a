package io.jvmm.guest;

import io.jvmm.guest.sys.GuestSyscalls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.function.IntPredicate;
import java.util.stream.Stream;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The agent is a child subreaper, so every orphan below it becomes its child, and a child nobody
 * waits for stays a zombie. That is not only a leak: a process a {@code crun exec} forked into a
 * container's PID namespace and then abandoned (the exec failed because the container's init was
 * being killed at that moment) is such an orphan, and the kernel does not let the namespace's init
 * finish dying until every process of the namespace is reaped, so the container's exit would never be
 * reported. This sweeps our zombie children that are not ours to report (no container process has
 * their pid) and reaps them.
 *
 * <p>A zombie is reaped only when it was one in the previous sweep too, and only while no process is
 * being created ({@code lock}, the registry's, is held by create and exec until the new process's pid
 * is registered): a process that exits before its creator learns its pid is therefore never taken from
 * the reaper that will report its exit, and the JDK's own children (crun itself), which the JDK reaps
 * the moment they exit, are never zombies for a whole interval.
 */
final class OrphanReaper {
    private static final Logger LOG = LogManager.getLogger(OrphanReaper.class);

    private final Object lock;
    private final IntPredicate owned;
    private Set<Integer> zombiesLastTime = Set.of();

    /** {@code owned}: whether a pid belongs to a container process (its own reaper reports it). */
    OrphanReaper(Object lock, IntPredicate owned) {
        this.lock = lock;
        this.owned = owned;
    }

    void start(Duration interval) {
        Thread.ofPlatform().daemon(true).name("orphan-reaper").start(() -> {
            while (true) {
                try {
                    Thread.sleep(interval);
                    sweep();
                } catch (InterruptedException e) {
                    return;
                } catch (IOException | RuntimeException e) {
                    LOG.debug("orphan sweep failed: {}", e.getMessage());
                }
            }
        });
    }

    /** One round: reaps the orphaned zombies seen last time and still there; returns how many. */
    int sweep() throws IOException {
        synchronized (lock) {
            Set<Integer> zombies = new HashSet<>();
            for (int pid : children()) {
                if (!owned.test(pid) && isZombie(pid)) {
                    zombies.add(pid);
                }
            }
            Set<Integer> reaped = new HashSet<>();
            for (int pid : zombies) {
                if (zombiesLastTime.contains(pid) && GuestSyscalls.reapIfExited(pid)) {
                    LOG.info("reaped orphan {}", pid);
                    reaped.add(pid);
                }
            }
            zombies.removeAll(reaped);
            zombiesLastTime = zombies;
            return reaped.size();
        }
    }

    /** Our children, over all our threads (a child belongs to the thread that forked or adopted it). */
    private Set<Integer> children() throws IOException {
        Set<Integer> pids = new HashSet<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    for (String pid : Files.readString(task.resolve("children")).trim().split("\\s+")) {
                        if (!pid.isEmpty()) {
                            pids.add(Integer.parseInt(pid));
                        }
                    }
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        }
        return pids;
    }

    /** State Z in /proc/<pid>/stat (the field after the parenthesised command, which may hold spaces). */
    private static boolean isZombie(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');
            return close > 0 && close + 2 < stat.length() && stat.charAt(close + 2) == 'Z';
        } catch (IOException e) {
            return false;
        }
    }
}
