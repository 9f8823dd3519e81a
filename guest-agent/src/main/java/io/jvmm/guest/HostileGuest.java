package io.jvmm.guest;

import io.jvmm.mux.MuxFrame;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Misbehaviour on request, for the host's hostile-guest tests (e2e {@code HostileGuestTest}): the agent
 * answers {@code WaitProcess} at once instead of when the process exits ({@value #INSTANT_WAIT}); it makes
 * up OOM kills for every container it starts, as fast as they go, until the container is deleted
 * ({@value #OOM_FLOOD}); it writes garbage into the serial port's stream mux when a container is sent
 * SIGUSR1 (frames the host must shrug off) or SIGUSR2 (bytes that are no frame at all) instead of
 * signalling it ({@value #MUX_GARBAGE}); it holds CreateContainer of a container whose id starts with
 * {@code slow} for ten minutes before doing it, as a guest stuck in a create does ({@value #SLOW_CREATE}); it
 * skips the reseed of its CSPRNG at SetupGuest ({@value #NO_RESEED}: the tests' proof that clones of one
 * template draw the same bytes without it). Chosen on the kernel command line
 * ({@code jvmm.hostile=instant-wait,oom-flood}), which only the host's runtime configuration sets; nothing
 * otherwise. It gives a guest nothing it lacks: the guest is untrusted whole, and its root can replace this
 * agent with one that does worse (docs/security.md).
 */
final class HostileGuest {
    static final String INSTANT_WAIT = "instant-wait";
    static final String OOM_FLOOD = "oom-flood";
    static final String MUX_GARBAGE = "mux-garbage";
    static final String SLOW_CREATE = "slow-create";
    static final String NO_RESEED = "no-reseed";
    private static final long SLOW_CREATE_MILLIS = 600_000;
    static final int SIGUSR1 = 10;
    static final int SIGUSR2 = 12;
    /** OOM events sent at most for each container under {@value #OOM_FLOOD} (it stops when the container goes). */
    static final int OOM_EVENTS = 1_000_000;

    private static final String ARG = "jvmm.hostile=";
    private static final HostileGuest NONE = new HostileGuest(Set.of());

    private final Set<String> behaviours;
    private final AtomicLong instantWaits = new AtomicLong();
    /** The serial port under the mux; the mux writes its frames holding this object's lock. */
    private volatile OutputStream muxPipe;

    private HostileGuest(Set<String> behaviours) {
        this.behaviours = behaviours;
    }

    static HostileGuest fromKernelArgs(List<String> args) {
        for (String arg : args) {
            if (arg.startsWith(ARG)) {
                HostileGuest hostile = new HostileGuest(
                        Set.copyOf(List.of(arg.substring(ARG.length()).split(","))));
                System.out.println("jvmm-hostile: misbehaving on request: " + hostile.behaviours);
                System.out.flush();
                return hostile;
            }
        }
        return NONE;
    }

    boolean answersWaitsAtOnce() {
        return behaviours.contains(INSTANT_WAIT);
    }

    boolean floodsOom() {
        return behaviours.contains(OOM_FLOOD);
    }

    boolean skipsReseed() {
        return behaviours.contains(NO_RESEED);
    }

    /**
     * Under {@value #SLOW_CREATE}, holds the CreateContainer of {@code id} (if it starts with {@code slow})
     * for ten minutes, announced on the console; returns at once otherwise.
     */
    void holdCreate(String id) {
        if (!behaviours.contains(SLOW_CREATE) || !id.startsWith("slow")) {
            return;
        }
        System.out.println("jvmm-hostile: holding CreateContainer of " + id);
        System.out.flush();
        try {
            Thread.sleep(SLOW_CREATE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The pipe the serial mux writes to (frames are written holding its lock, as the mux does). */
    void muxPipe(OutputStream pipe) {
        this.muxPipe = pipe;
    }

    /**
     * Whether {@code signal} is a cue to garble the mux rather than a signal for the container. SIGUSR1:
     * frames the host must drop without losing anything (empty data on every stream it may have open; data,
     * credit, end, reset, accept and refuse for streams it never opened); SIGUSR2: a header that is no frame,
     * which ends the host's mux. Written on a thread of its own (the host's call is answered meanwhile) and
     * announced on the console when done.
     */
    boolean garblesMuxOn(int signal) {
        OutputStream pipe = muxPipe;
        if (!behaviours.contains(MUX_GARBAGE) || pipe == null || (signal != SIGUSR1 && signal != SIGUSR2)) {
            return false;
        }
        Thread.ofPlatform().name("hostile-mux").daemon(true).start(() -> {
            try {
                garble(pipe, signal);
                System.out.println("jvmm-hostile: mux garbage sent after signal " + signal);
            } catch (IOException e) {
                System.out.println("jvmm-hostile: mux garbage failed: " + e.getMessage());
            }
            System.out.flush();
        });
        return true;
    }

    /** Writes the garbage of {@code signal} (SIGUSR1 or SIGUSR2) into {@code pipe}, holding its lock. */
    static void garble(OutputStream pipe, int signal) throws IOException {
        synchronized (pipe) {
            if (signal == SIGUSR1) {
                var buffered = new BufferedOutputStream(pipe, 1 << 16);
                writeDroppableFrames(buffered);
                buffered.flush();
            } else {
                pipe.write(new byte[] {99, 0, 0, 0, 1, 0x7f, -1, -1, -1, 'x', 'x', 'x'});
            }
            pipe.flush();
        }
    }

    private static void writeDroppableFrames(OutputStream pipe) throws IOException {
        byte[] empty = new byte[0];
        for (int i = 0; i < 100_000; i++) {
            new MuxFrame(MuxFrame.Kind.DATA, 1 + i % 64, empty).writeTo(pipe);
        }
        byte[] kib = new byte[1024];
        byte[] credit = {0, 0, 16, 0};
        for (int stream = 1_000_000; stream < 1_001_000; stream++) {
            new MuxFrame(MuxFrame.Kind.DATA, stream, kib).writeTo(pipe);
            new MuxFrame(MuxFrame.Kind.CREDIT, stream, credit).writeTo(pipe);
            new MuxFrame(MuxFrame.Kind.EOF, stream, empty).writeTo(pipe);
            new MuxFrame(MuxFrame.Kind.EOF, stream, empty).writeTo(pipe);
            new MuxFrame(MuxFrame.Kind.RESET, stream, empty).writeTo(pipe);
            new MuxFrame(MuxFrame.Kind.ACCEPT, stream, empty).writeTo(pipe);
            new MuxFrame(MuxFrame.Kind.REFUSE, stream, empty).writeTo(pipe);
        }
    }

    /**
     * Counts a wait answered at once. The count reaches the host on the console, at most once a second (the
     * console is the guest's channel the host reads without asking the agent).
     */
    void answeredWaitAtOnce() {
        if (instantWaits.getAndIncrement() == 0) {
            Thread.ofPlatform().name("hostile-report").daemon(true).start(this::reportWaits);
        }
    }

    private void reportWaits() {
        long reported = -1;
        while (true) {
            long now = instantWaits.get();
            if (now != reported) {
                System.out.println("jvmm-hostile: waits answered at once: " + now);
                System.out.flush();
                reported = now;
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
