package io.jvmm.shim.metrics;

import java.io.IOException;
import java.nio.channels.Channel;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** A socket exchange's deadline: the channel is closed when it passes, which ends any read or write on it. */
final class Deadline {
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon(true).name("metrics-deadline").unstarted(r));

    private Deadline() {}

    static void closeAfter(Channel channel, Duration deadline) {
        TIMER.schedule(
                () -> {
                    try {
                        channel.close();
                    } catch (IOException e) {
                        // closed already, or closing fails: either way nobody waits on it any more
                    }
                },
                deadline.toMillis(),
                TimeUnit.MILLISECONDS);
    }
}
