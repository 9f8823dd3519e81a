package io.jvmm.task.event;

/**
 * Where task events go, in the order they are published. {@link #publish} only queues: it never blocks
 * on containerd, so a slow or restarting containerd cannot stall the task service.
 */
@FunctionalInterface
public interface EventSink {
    void publish(TaskEvent event);
}
