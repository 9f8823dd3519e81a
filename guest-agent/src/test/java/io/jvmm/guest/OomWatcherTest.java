package io.jvmm.guest;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.api.agent.v1.GuestEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guest's OOM watcher, on a cgroup directory whose memory.events the test writes. */
class OomWatcherTest {
    @TempDir
    Path cgroup;

    private void kills(long n) throws Exception {
        Files.writeString(cgroup.resolve("memory.events"), "low 0\nhigh 0\nmax 3\noom 1\noom_kill " + n + "\n");
    }

    /** An init's exit checks at once (OomWatcher polls every 200 ms): the kill is told before the exit is. */
    @Test
    void aCheckNowTellsAKillAtOnceAndOnlyOnce() throws Exception {
        kills(0);
        OomWatcher watcher = new OomWatcher(0);
        watcher.watch("c1", cgroup);
        List<GuestEvent> told = new CopyOnWriteArrayList<>();
        watcher.subscribe(told::add);
        kills(1);
        watcher.checkNow("c1");
        assertThat(told).singleElement().satisfies(e -> {
            assertThat(e.getContainerId()).isEqualTo("c1");
            assertThat(e.getOom().getOomKills()).isEqualTo(1);
        });
        watcher.checkNow("c1");
        watcher.checkNow("unknown");
        Thread.sleep(500); // the poller's turns, too, see nothing new
        assertThat(told).hasSize(1);
    }
}
