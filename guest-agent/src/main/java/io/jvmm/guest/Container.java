package io.jvmm.guest;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A container in the guest: its bundle, its init process and its exec'd processes. */
final class Container {
    final String id;
    final Path bundle;
    /** Where its root disk is (or would be) mounted: unmounted at delete if it is. */
    final Path diskMount;

    final Path ioDir;
    final GuestProcess init;
    /** The cgroup crun put the container in (found from its init process). */
    final Path cgroup;

    final Map<String, GuestProcess> execs = new ConcurrentHashMap<>();

    Container(String id, Path bundle, Path diskMount, Path ioDir, GuestProcess init, Path cgroup) {
        this.id = id;
        this.bundle = bundle;
        this.diskMount = diskMount;
        this.ioDir = ioDir;
        this.init = init;
        this.cgroup = cgroup;
    }

    GuestProcess process(String execId) {
        if (execId.isEmpty()) {
            return init;
        }
        GuestProcess p = execs.get(execId);
        if (p == null) {
            throw Refusal.notFound("exec " + execId + " not found in container " + id);
        }
        return p;
    }
}
