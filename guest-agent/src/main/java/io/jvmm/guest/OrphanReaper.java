package io.jvmm.guest;

import io.jvmm.guest.sys.GuestSyscalls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;
import java.util.stream.Stream;
import sun.misc.Signal;

/**
 * The agent is a child subreaper, so every orphan below it becomes its child, and a child nobody
 * waits for stays a zombie. That is not only a leak: a process a {@code crun exec} forked into a
 * container's PID namespace and then abandoned (the exec failed because the container's init was
 * being killed at that moment) is such an orphan, and the kernel does not let the namespace's init
 * finish dying until every process of the namespace is reaped, so the container's exit would never be
 * reported. This sweeps our zombie children that are not ours to report (no container process has
 * their pid) and reaps them.
 *
 * <p>A zombie is reaped only once it has been one for a while ({@code minAge}), and only while no process is
 * being created ({@code lock}, the registry's, is held by create and exec until the new process's pid
 * is registered): a process that exits before its creator learns its pid is therefore never taken from
 * the reaper that will report its exit, and the JDK's own children (crun itself), which the JDK reaps
 * the moment they exit, are never zombies that long.
 */
final class OrphanReaper {
    private static final AgentLog LOG = AgentLog.of(OrphanReaper.class);

    private final Object lock;
    private final IntPredicate owned;
    private final Duration minAge;
    private volatile Map<Integer, Long> firstSeen = Map.of();

    /**
     * {@code owned}: whether a pid belongs to a container process (its own reaper reports it);
     * {@code minAge}: how long a zombie must have been one before it is taken (far longer than the JDK needs).
     */
    OrphanReaper(Object lock, IntPredicate owned, Duration minAge) {
        this.lock = lock;
        this.owned = owned;
        this.minAge = minAge;
    }

    /**
     * Sweeps when a child of ours ended (SIGCHLD), again {@code recheck} later while a zombie is too young
     * to take, and every {@code idle} otherwise (in case a signal was missed): an idle guest
     * under emulation should not pay for a sweep every second.
     */
    Thread start(Duration recheck, Duration idle) {
        Semaphore childEnded = new Semaphore(0);
        boolean signalled = onChildSignal(childEnded::release);
        Duration quiet = signalled ? idle : recheck;
        return Thread.ofPlatform().daemon(true).name("orphan-reaper").start(() -> {
            Duration wait = quiet;
            while (true) {
                try {
                    childEnded.tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS);
                    childEnded.drainPermits();
                    sweep();
                    wait = firstSeen.isEmpty() ? quiet : recheck;
                } catch (InterruptedException e) {
                    return;
                } catch (IOException | RuntimeException e) {
                    LOG.debug("orphan sweep failed: {0}", e.getMessage());
                }
            }
        });
    }

    /** Runs {@code action} on every SIGCHLD; false if this JVM does not let us handle it. */
    static boolean onChildSignal(Runnable action) {
        try {
            Signal.handle(new Signal("CHLD"), sig -> action.run());
            return true;
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            LOG.debug("no SIGCHLD handler ({0}): sweeping on a timer", e.getMessage());
            return false;
        }
    }

    /** One round: reaps the orphaned zombies first seen at least {@code minAge} ago; returns how many. */
    int sweep() throws IOException {
        synchronized (lock) {
            long now = System.nanoTime();
            Map<Integer, Long> zombies = new HashMap<>();
            for (int pid : children()) {
                if (!owned.test(pid) && isZombie(pid)) {
                    zombies.put(pid, firstSeen.getOrDefault(pid, now));
                }
            }
            int reaped = 0;
            for (var z : List.copyOf(zombies.entrySet())) {
                if (now - z.getValue() >= minAge.toNanos() && reap(z.getKey())) {
                    zombies.remove(z.getKey());
                    reaped++;
                }
            }
            firstSeen = zombies;
            return reaped;
        }
    }

    private static boolean reap(int pid) {
        try {
            if (GuestSyscalls.reapIfExited(pid)) {
                LOG.info("reaped orphan {0}", pid);
                return true;
            }
        } catch (IOException e) {
            LOG.debug("orphan {0} gone meanwhile: {1}", pid, e.getMessage());
        }
        return false;
    }

    /** Our children, over all our threads (a child belongs to the thread that forked or adopted it). */
    private Set<Integer> children() throws IOException {
        Set<Integer> pids = new HashSet<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    for (String pid :
                            Files.readString(task.resolve("children")).trim().split("\\s+")) {
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
