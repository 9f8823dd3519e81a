package io.jvmm.guest;

import io.jvmm.api.agent.v1.GuestEvent;
import io.jvmm.api.agent.v1.OomEvent;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Notices OOM kills in containers (memory.events oom_kill rising) and tells every subscriber. Polls
 * only while someone listens, every 200 ms.
 */
final class OomWatcher {
    private static final long POLL_MS = 200;

    private final Map<String, Path> cgroups = new ConcurrentHashMap<>();
    private final Map<String, Long> seen = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<Consumer<GuestEvent>> subscribers = new CopyOnWriteArrayList<>();
    private final int flood;
    private Thread poller;

    /** {@code flood}: OOM kills made up for each container watched, as fast as they go (see {@link HostileGuest}). */
    OomWatcher(int flood) {
        this.flood = flood;
    }

    void watch(String containerId, Path cgroup) {
        cgroups.put(containerId, cgroup);
        seen.put(containerId, CgroupStats.oomKills(cgroup));
    }

    /** The container's init started: under a flood, its made-up OOM kills begin (until it is forgotten). */
    void started(String containerId) {
        if (flood == 0) {
            return;
        }
        Thread.ofPlatform().name("oom-flood").daemon(true).start(() -> {
            long began = System.nanoTime();
            int kills = 0;
            while (kills < flood && cgroups.containsKey(containerId)) {
                send(containerId, ++kills);
            }
            System.out.printf(
                    "jvmm-hostile: sent %d OOM events for %s in %d ms%n",
                    kills, containerId, (System.nanoTime() - began) / 1_000_000);
            System.out.flush();
        });
    }

    void forget(String containerId) {
        cgroups.remove(containerId);
        seen.remove(containerId);
    }

    synchronized void subscribe(Consumer<GuestEvent> subscriber) {
        subscribers.add(subscriber);
        if (poller == null) {
            poller = Thread.ofPlatform().name("oom-watch").daemon(true).start(this::poll);
        }
    }

    void unsubscribe(Consumer<GuestEvent> subscriber) {
        subscribers.remove(subscriber);
    }

    private void poll() {
        while (true) {
            if (!subscribers.isEmpty()) {
                cgroups.forEach(this::check);
            }
            try {
                Thread.sleep(POLL_MS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Looks at {@code containerId}'s count now, outside the poll (an init that just exited). */
    void checkNow(String containerId) {
        Path cgroup = cgroups.get(containerId);
        if (cgroup != null && !subscribers.isEmpty()) {
            check(containerId, cgroup);
        }
    }

    private void check(String containerId, Path cgroup) {
        long kills = CgroupStats.oomKills(cgroup);
        Long before = seen.put(containerId, kills);
        if (before != null && kills > before) {
            send(containerId, kills);
        }
    }

    private void send(String containerId, long kills) {
        Instant now = Instant.now();
        GuestEvent event = GuestEvent.newBuilder()
                .setContainerId(containerId)
                .setAtUnixNano(now.getEpochSecond() * 1_000_000_000L + now.getNano())
                .setOom(OomEvent.newBuilder().setOomKills(kills))
                .build();
        subscribers.forEach(s -> s.accept(event));
    }
}
