package io.jvmm.task.sandbox;

import io.jvmm.agent.client.AgentClient;
import io.jvmm.vmm.VirtualMachine;
import java.security.SecureRandom;
import java.time.Duration;

/**
 * The first words with a started VM's agent: connect, then tell the guest the time, its hostname and fresh
 * entropy. A booted guest announces on its console that it listens; a restored one (template or checkpoint)
 * was listening when it was saved, and is also told what differs from the saved guest (share, network).
 */
final class GuestHandshake {
    private GuestHandshake() {}

    /** A cold-booted guest's agent. */
    static AgentClient booted(VirtualMachine vm, String sandboxId, Duration timeout) {
        AgentClient agent = GuestConnector.connect(vm, timeout);
        agent.setupGuest(nowNanos(), hostname(sandboxId), freshEntropy());
        return agent;
    }

    /** A restored guest's agent; {@code shareTag} and {@code network} empty where it has none. */
    static AgentClient restored(
            VirtualMachine vm, String sandboxId, Duration timeout, String shareTag, String network) {
        AgentClient agent = AgentClient.connect(vm.config().vsockSocket(), timeout);
        agent.setupRestoredGuest(nowNanos(), hostname(sandboxId), freshEntropy(), shareTag, network);
        return agent;
    }

    /** Entropy from the host for a guest's CSPRNG (SetupGuest): every boot, restore and template gets its own. */
    static byte[] freshEntropy() {
        byte[] entropy = new byte[64];
        new SecureRandom().nextBytes(entropy);
        return entropy;
    }

    private static long nowNanos() {
        return System.currentTimeMillis() * 1_000_000L;
    }

    /** The sandbox id, cut to a hostname's 63 characters. */
    static String hostname(String sandboxId) {
        return sandboxId.length() > 63 ? sandboxId.substring(0, 63) : sandboxId;
    }
}
