package io.jvmm.shim.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Empty;
import io.jvmm.api.containerd.events.TaskExit;
import io.jvmm.api.containerd.events.ttrpc.ForwardRequest;
import io.jvmm.api.containerd.types.Envelope;
import io.jvmm.task.event.TaskEvent;
import io.jvmm.ttrpc.ServiceDefinition;
import io.jvmm.ttrpc.TtrpcServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The publisher against a real ttrpc server standing in for containerd's events service. */
class EventPublisherTest {
    @TempDir
    Path dir;

    private TtrpcServer server(List<Envelope> received, AtomicInteger failFirst) throws Exception {
        return TtrpcServer.builder()
                .addService(ServiceDefinition.builder(EventPublisher.SERVICE)
                        .unary("Forward", ForwardRequest.parser(), (ctx, r) -> {
                            if (failFirst.getAndDecrement() > 0) {
                                throw new IllegalStateException("containerd is busy");
                            }
                            received.add(r.getEnvelope());
                            return Empty.getDefaultInstance();
                        })
                        .build())
                .bind(dir.resolve("ttrpc.sock"));
    }

    @Test
    void eventsArriveInOrderWithContainerdsTopicsAndTypeNames() throws Exception {
        List<Envelope> received = new CopyOnWriteArrayList<>();
        try (TtrpcServer s = server(received, new AtomicInteger())) {
            EventPublisher p = new EventPublisher(dir.resolve("ttrpc.sock"), "ns1", Duration.ofMillis(10));
            p.publish(new TaskEvent.Started("c", 7));
            p.publish(new TaskEvent.Exited("c", "c", 7, 137, Instant.ofEpochSecond(100, 5)));
            p.publish(new TaskEvent.Deleted("c", 7, 137, Instant.ofEpochSecond(100, 5)));
            p.close(Duration.ofSeconds(10));
        }
        assertThat(received)
                .extracting(Envelope::getTopic)
                .containsExactly("/tasks/start", "/tasks/exit", "/tasks/delete");
        assertThat(received)
                .extracting(e -> e.getEvent().getTypeUrl())
                .containsExactly(
                        "containerd.events.TaskStart", "containerd.events.TaskExit", "containerd.events.TaskDelete");
        TaskExit exit = TaskExit.parseFrom(received.get(1).getEvent().getValue());
        assertThat(exit.getExitStatus()).isEqualTo(137);
        assertThat(exit.getExitedAt().getSeconds()).isEqualTo(100);
        assertThat(received.get(0).getNamespace()).isEqualTo("ns1");
    }

    @Test
    void aFailedForwardIsRetriedWithoutLosingOrder() throws Exception {
        List<Envelope> received = new CopyOnWriteArrayList<>();
        try (TtrpcServer s = server(received, new AtomicInteger(2))) {
            EventPublisher p = new EventPublisher(dir.resolve("ttrpc.sock"), "ns1", Duration.ofMillis(10));
            p.publish(new TaskEvent.Paused("a"));
            p.publish(new TaskEvent.Resumed("a"));
            p.close(Duration.ofSeconds(10));
        }
        assertThat(received).extracting(Envelope::getTopic).containsExactly("/tasks/paused", "/tasks/resumed");
    }

    @Test
    void containerdStartingLateStillGetsTheEvent() throws Exception {
        List<Envelope> received = new CopyOnWriteArrayList<>();
        EventPublisher p = new EventPublisher(dir.resolve("ttrpc.sock"), "ns1", Duration.ofMillis(50));
        p.publish(new TaskEvent.Oom("a"));
        Thread.sleep(100);
        assertThat(Files.exists(dir.resolve("ttrpc.sock"))).isFalse();
        try (TtrpcServer s = server(received, new AtomicInteger())) {
            p.close(Duration.ofSeconds(10));
        }
        assertThat(received).extracting(Envelope::getTopic).containsExactly("/tasks/oom");
    }

    /**
     * A guest that floods OOM events while containerd is away: the queue keeps one per container, and the
     * exit and delete behind them all arrive (the old 2048-entry queue dropped them when full).
     */
    @Test
    void aFloodOfOomEventsIsCoalescedAndNeverCrowdsOutExitsAndDeletes() throws Exception {
        List<Envelope> received = new CopyOnWriteArrayList<>();
        EventPublisher p = new EventPublisher(dir.resolve("ttrpc.sock"), "ns1", Duration.ofMillis(20));
        for (int i = 0; i < 10_000; i++) {
            p.publish(new TaskEvent.Oom(i % 2 == 0 ? "a" : "b"));
        }
        p.publish(new TaskEvent.Exited("a", "a", 7, 137, Instant.ofEpochSecond(100)));
        p.publish(new TaskEvent.Deleted("a", 7, 137, Instant.ofEpochSecond(100)));
        try (TtrpcServer s = server(received, new AtomicInteger())) {
            p.close(Duration.ofSeconds(20));
        }
        List<String> topics = received.stream().map(Envelope::getTopic).toList();
        assertThat(topics).endsWith("/tasks/exit", "/tasks/delete");
        assertThat(topics.stream().filter(t -> t.equals("/tasks/oom")).count()).isBetween(2L, 4L);
    }

    /**
     * A guest that floods OOM events while containerd takes them as fast as they come: containerd gets at
     * most one per container a second, not the flood (the publisher only coalesced with an OOM still
     * waiting, so containerd published hundreds a second), and a deleted container starts afresh.
     */
    @Test
    void aContainerdThatKeepsUpStillGetsAtMostOneOomPerContainerASecond() throws Exception {
        List<Envelope> received = new CopyOnWriteArrayList<>();
        try (TtrpcServer s = server(received, new AtomicInteger())) {
            EventPublisher p = new EventPublisher(dir.resolve("ttrpc.sock"), "ns1", Duration.ofMillis(20));
            long end = System.nanoTime() + Duration.ofMillis(1500).toNanos();
            while (System.nanoTime() < end) {
                p.publish(new TaskEvent.Oom("a"));
                Thread.sleep(2);
            }
            p.publish(new TaskEvent.Deleted("a", 7, 137, Instant.ofEpochSecond(100)));
            p.publish(new TaskEvent.Oom("a"));
            p.close(Duration.ofSeconds(10));
        }
        List<String> topics = received.stream().map(Envelope::getTopic).toList();
        assertThat(topics.subList(0, topics.indexOf("/tasks/delete")))
                .as("before the delete")
                .containsOnly("/tasks/oom")
                .hasSizeBetween(1, 2);
        assertThat(topics).endsWith("/tasks/delete", "/tasks/oom");
    }
}
