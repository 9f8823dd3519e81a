package io.jvmm.task;

import io.jvmm.api.json.JsonObject;
import io.jvmm.task.event.EventSink;
import io.jvmm.task.event.TaskEvent;
import io.jvmm.task.guest.GuestAgent;
import io.jvmm.task.io.ProcessIo;
import io.jvmm.task.process.Container;
import io.jvmm.task.process.InitProcess;
import io.jvmm.task.sandbox.ContainerCheckpoint;
import io.jvmm.task.sandbox.GuestSpec;
import io.jvmm.task.sandbox.Sandbox;
import io.jvmm.ttrpc.Code;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * How a container comes to be in the sandbox, from containerd's Create to its registration: booted or
 * restored with the VM, made in the guest, its stdio connected, registered with its exit watched and its
 * Created event published. It owns the reservations of the ids under way, which a Delete may give up.
 */
final class ContainerCreation {
    private static final Logger LOG = LogManager.getLogger(ContainerCreation.class);

    private final SandboxLifecycle sandbox;
    private final Map<String, Container> containers;
    private final ExitWatcher exits;
    private final EventSink events;
    private final Function<String, Map<String, String>> binaryEnv;
    private final CreateReservations creating = new CreateReservations();

    /** {@code containers}: the task service's registry, which a successful Create adds to. */
    ContainerCreation(
            SandboxLifecycle sandbox,
            Map<String, Container> containers,
            ExitWatcher exits,
            EventSink events,
            Function<String, Map<String, String>> binaryEnv) {
        this.sandbox = sandbox;
        this.containers = containers;
        this.exits = exits;
        this.events = events;
        this.binaryEnv = binaryEnv;
    }

    /** containerd gave up the Create of {@code id}: see {@link CreateReservations#giveUp}. */
    boolean giveUp(String id) {
        return creating.giveUp(id);
    }

    /** Whether every Create under way was given up (true when there is none). */
    boolean allGivenUp() {
        return creating.allGivenUp();
    }

    /** A live view of the ids being created. */
    Set<String> ids() {
        return creating.ids();
    }

    /**
     * Create. The checks, the VM's boot (the first Create) and giving the root to the guest run under the
     * sandbox's monitor; the guest's own work (which may take minutes for a large root) runs outside it, so
     * other containers' calls, StopSandbox and Shutdown never wait for it. The id is reserved meanwhile. The
     * guest's part runs {@linkplain ToCompletion to its end}: a Create containerd gave up is undone then.
     */
    int create(String id, CreateTask request) {
        if (containers.containsKey(id)) {
            throw TaskException.alreadyExists("container " + id + ": already exists");
        }
        CreateReservations.Reservation reservation = creating.reserve(id);
        boolean handedOver = false;
        try {
            Sandbox sb;
            Sandbox.GuestRoot root;
            synchronized (sandbox) {
                if (containers.containsKey(id)) {
                    throw TaskException.alreadyExists("container " + id + ": already exists");
                }
                if (!request.checkpoint().isEmpty()) {
                    return restore(request);
                }
                sb = sandbox.prepared();
                JsonObject spec = GuestSpec.ofBundle(request.bundle());
                try {
                    root = sb.prepareRoot(request, spec, () -> sandbox.bootFor(spec));
                } catch (IOException e) {
                    throw TaskException.internal(
                            "cannot give the root file system of " + id + " to the guest: " + e.getMessage(), e);
                }
            }
            handedOver = true;
            return ToCompletion.call(
                    "create " + id,
                    () -> {
                        try {
                            return createInGuest(request, sb, root, reservation);
                        } finally {
                            creating.release(reservation);
                        }
                    },
                    () -> creating.giveUp(id));
        } finally {
            if (!handedOver) {
                creating.release(reservation);
            }
        }
    }

    private int createInGuest(
            CreateTask request, Sandbox sb, Sandbox.GuestRoot root, CreateReservations.Reservation reservation) {
        String id = request.id();
        try {
            if (reservation.isGivenUp()) {
                throw givenUp(id);
            }
            GuestAgent agent = sb.agent();
            sandbox.payGuestDeletes(agent);
            InitProcess init = new InitProcess(id, request.stdio(), false);
            long asked = System.nanoTime();
            init.inGuest(agent.createContainerOrUndo(id, root.guestSpec(), request.stdio(), root.disk()), sb.vmmPid());
            LOG.info(
                    "container {} created in the guest (pid {} there) in {} ms",
                    id,
                    init.guestPid(),
                    (System.nanoTime() - asked) / 1_000_000);
            ContainerWork.connectStdio(agent, init, binaryEnv.apply(id), () -> agent.deleteContainer(id));
            int[] pid = new int[1];
            synchronized (sandbox) {
                if (sandbox.isClosing()) {
                    init.io().ifPresent(ProcessIo::close);
                    throw TaskException.unavailable("container " + id + ": the shim is shutting down", null);
                }
                if (reservation.registerUnlessGivenUp(
                        () -> pid[0] = register(new Container(id, request.bundle(), init), request))) {
                    return pid[0];
                }
            }
            LOG.info("container {}: containerd gave its create up while the guest made it; undoing it", id);
            init.io().ifPresent(ProcessIo::close);
            try {
                agent.deleteContainer(id);
            } catch (RuntimeException e) {
                LOG.warn("cannot undo container {} in the guest: {}", id, e.getMessage());
            }
            throw givenUp(id);
        } catch (RuntimeException e) {
            synchronized (sandbox) {
                sb.releaseRoot(id);
            }
            throw e;
        }
    }

    private static TaskException givenUp(String id) {
        return TaskException.of(
                Code.CANCELLED, "container " + id + ": its create was given up by containerd and is undone", null);
    }

    /**
     * Create with a checkpoint: the sandbox's VM is restored from it, with the container running on in it
     * (its memory as it was), and the output of its init is given to this request's IO. Start then only
     * records it as started.
     */
    private int restore(CreateTask request) {
        String id = request.id();
        ContainerCheckpoint.Manifest m = sandbox.restore(id, new ContainerCheckpoint(Path.of(request.checkpoint())));
        InitProcess init = new InitProcess(id, request.stdio(), true);
        init.inGuest(m.initPid(), sandbox.booted().vmmPid());
        GuestAgent agent = sandbox.agent();
        ContainerWork.connectStdio(agent, init, binaryEnv.apply(id), () -> agent.signal(id, "", 9, true));
        return register(new Container(id, request.bundle(), init), request);
    }

    private int register(Container container, CreateTask request) {
        InitProcess init = container.init();
        synchronized (init) {
            containers.put(container.id(), container);
            exits.watch(container, init);
            events.publish(new TaskEvent.Created(
                    container.id(), request.bundle(), request.rootfs(), request.stdio(), init.pid()));
        }
        return init.pid();
    }
}
