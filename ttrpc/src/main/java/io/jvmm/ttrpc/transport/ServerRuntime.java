package io.jvmm.ttrpc.transport;

import io.jvmm.ttrpc.CallObserver;
import io.jvmm.ttrpc.ServiceDefinition;
import java.util.Map;
import java.util.concurrent.ExecutorService;

/**
 * What every connection of one server shares: its services, its handler threads, the observer of its calls
 * and its stop flag.
 */
public final class ServerRuntime {
    private final Map<String, ServiceDefinition> services;
    private final ExecutorService executor;
    private final boolean requireSameUser;
    private final CallObserver observer;
    private volatile boolean draining;

    public ServerRuntime(Map<String, ServiceDefinition> services, ExecutorService executor, boolean requireSameUser) {
        this(services, executor, requireSameUser, CallObserver.NONE);
    }

    public ServerRuntime(
            Map<String, ServiceDefinition> services,
            ExecutorService executor,
            boolean requireSameUser,
            CallObserver observer) {
        this.services = Map.copyOf(services);
        this.executor = executor;
        this.requireSameUser = requireSameUser;
        this.observer = observer;
    }

    public CallObserver observer() {
        return observer;
    }

    public Map<String, ServiceDefinition> services() {
        return services;
    }

    public ExecutorService executor() {
        return executor;
    }

    public boolean requireSameUser() {
        return requireSameUser;
    }

    /** Once draining, new requests are refused with UNAVAILABLE while calls in flight finish. */
    public boolean draining() {
        return draining;
    }

    public void startDraining() {
        draining = true;
    }
}
