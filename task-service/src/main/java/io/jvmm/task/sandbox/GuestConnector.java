package io.jvmm.task.sandbox;

import io.jvmm.agent.client.AgentClient;
import io.jvmm.agent.client.AgentUnavailableException;
import io.jvmm.api.agent.AgentPorts;
import io.jvmm.vmm.VirtualMachine;
import io.jvmm.vmm.VmException;
import io.jvmm.vmm.VmExit;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Connects to a booting VM's agent, racing the connection against the VM's death: a guest that
 * panics (corrupt initrd, broken kernel) fails at once with its console's last words instead of
 * waiting for the deadline; an agent that never answers fails at the deadline.
 */
public final class GuestConnector {
    private GuestConnector() {}

    public static AgentClient connect(VirtualMachine vm, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        CompletableFuture<AgentClient> agent = CompletableFuture.supplyAsync(
                () -> {
                    awaitAnnouncement(vm, deadline);
                    return AgentClient.connect(
                            vm.config().vsockSocket(),
                            Duration.ofNanos(Math.max(1_000_000_000L, deadline - System.nanoTime())));
                },
                r -> Thread.ofPlatform().daemon(true).name("agent-connect").start(r));
        CompletableFuture<Object> first = CompletableFuture.anyOf(agent, vm.exitFuture());
        try {
            Object winner = first.get(timeout.toMillis() + 5000, TimeUnit.MILLISECONDS);
            if (winner instanceof VmExit exit) {
                agent.thenAccept(AgentClient::close);
                throw diedWhileBooting(vm, exit, null);
            }
            return (AgentClient) winner;
        } catch (ExecutionException e) {
            if (vm.exitFuture().isDone()) {
                throw diedWhileBooting(vm, vm.exitFuture().join(), e.getCause());
            }
            throw e.getCause() instanceof RuntimeException r
                    ? r
                    : new AgentUnavailableException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new AgentUnavailableException("guest agent did not answer within " + timeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentUnavailableException("interrupted while connecting to the agent", e);
        }
    }

    /**
     * Waits until the agent says on the console that it listens (see {@link AgentPorts#READY_ANNOUNCEMENT}),
     * the VM exits, or the deadline passes; the connection attempt follows in every case.
     */
    private static void awaitAnnouncement(VirtualMachine vm, long deadline) {
        CompletableFuture<Void> said = vm.consoleSays(AgentPorts.READY_ANNOUNCEMENT);
        try {
            said.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException | TimeoutException | CancellationException e) {
            said.cancel(false);
        } catch (InterruptedException e) {
            said.cancel(false);
            Thread.currentThread().interrupt();
        }
    }

    private static VmException.BootFailed diedWhileBooting(VirtualMachine vm, VmExit exit, Throwable cause) {
        return new VmException.BootFailed(
                "VM exited before its agent answered (" + exit.reason() + "); console: "
                        + vm.consoleTail(3).replace('\n', '|'),
                cause);
    }
}
