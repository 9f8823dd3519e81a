package io.jvmm.task;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The ids whose Create is under way: reserved from the Create's first step until the container is
 * registered or the Create has failed and been undone. containerd may give a Create up before then (its
 * client went away and it cleans up: Delete, then Shutdown); the Create then ends by undoing itself rather
 * than registering a container containerd no longer knows. Each reservation decides under its own monitor,
 * never the sandbox's (a boot may hold that for minutes), whether it is registered or given up, so a Delete
 * never both misses a container and lets it be registered.
 */
final class CreateReservations {
    private final Map<String, Reservation> byId = new ConcurrentHashMap<>();

    /** One Create's hold on its id. */
    static final class Reservation {
        private final String id;
        private boolean givenUp;
        private boolean registered;

        private Reservation(String id) {
            this.id = id;
        }

        String id() {
            return id;
        }

        /** Runs {@code register} unless the Create was given up; answers whether it ran. */
        synchronized boolean registerUnlessGivenUp(Runnable register) {
            if (givenUp) {
                return false;
            }
            register.run();
            registered = true;
            return true;
        }

        synchronized boolean isGivenUp() {
            return givenUp;
        }

        /** Gives the Create up unless its container is registered already; answers whether it did. */
        private synchronized boolean giveUp() {
            if (registered) {
                return false;
            }
            givenUp = true;
            return true;
        }
    }

    /** Reserves {@code id} for a Create; ALREADY_EXISTS when another Create holds it. */
    Reservation reserve(String id) {
        Reservation r = new Reservation(id);
        if (byId.putIfAbsent(id, r) != null) {
            throw TaskException.alreadyExists("container " + id + ": already exists");
        }
        return r;
    }

    /** The Create has ended (registered, failed or undone): its id is free for the next Create. */
    void release(Reservation r) {
        byId.remove(r.id, r);
    }

    /**
     * containerd gave up the Create of {@code id} (it deletes a container it never got): answers whether a
     * Create of it was under way, which then undoes itself. False when there is none, or when its container
     * was registered meanwhile (then the Delete finds the container).
     */
    boolean giveUp(String id) {
        Reservation r = byId.get(id);
        return r != null && r.giveUp();
    }

    /** Whether every Create under way was given up (true when there is none). */
    boolean allGivenUp() {
        return byId.values().stream().allMatch(Reservation::isGivenUp);
    }

    /** A live view of the ids reserved. */
    Set<String> ids() {
        return byId.keySet();
    }
}
