package io.jvmm.task;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.task.event.TaskEvent;
import org.junit.jupiter.api.Test;

/**
 * A lone sandbox's last container, once exited, is deleted without the guest's DeleteContainer (its VM ends
 * with the Shutdown containerd sends next); what it left in the guest goes before any later Create there.
 * Where a pod holds the shim, or other containers remain, the guest deletes as before.
 */
class GuestLeftToVmEndTest extends TaskFixtureTest {
    private void exited(String id) {
        guest.exit(id, "", 0);
        f.awaitExit(id, "");
    }

    @Test
    void theLastContainerOfALoneSandboxLeavesItsGuestSideToTheVmsEnd() throws Exception {
        f.createAndStart("c1");
        exited("c1");
        assertThat(tasks.delete("c1", "", false).exit().status()).isZero();
        assertThat(guest.calls).doesNotContain("DeleteContainer c1");
        assertThat(events).last().isInstanceOf(TaskEvent.Deleted.class);
        assertThat(sandbox.calls).contains("release c1");

        // A Create of the same id before the VM's end: the guest's part of the first goes first.
        tasks.create(f.request("c1"));
        assertThat(guest.calls.stream()
                        .filter(c -> c.startsWith("DeleteContainer c1") || c.startsWith("CreateContainer c1")))
                .containsExactly("CreateContainer c1", "DeleteContainer c1", "CreateContainer c1");
        tasks.start("c1", "");
        exited("c1");
        tasks.delete("c1", "", false);
        assertThat(tasks.shutdown(false)).isTrue();
    }

    /** The guest's OOM watcher polls: a kill seen after the exit let containerd delete the container still counts. */
    @Test
    void anOomKillSeenAfterTheDeleteIsStillReported() throws Exception {
        f.createAndStart("c1");
        exited("c1");
        tasks.delete("c1", "", false);
        guest.oom("c1");
        assertThat(events).last().isEqualTo(new TaskEvent.Oom("c1"));
        guest.oom("c9");
        assertThat(events).last().isEqualTo(new TaskEvent.Oom("c1"));
    }

    @Test
    void aShimAPodHoldsDeletesInTheGuest() throws Exception {
        f.createAndStart("c1");
        exited("c1");
        tasks.delete("c1", "", true);
        assertThat(guest.calls).contains("DeleteContainer c1");
    }

    @Test
    void aContainerWithOthersBesideItDeletesInTheGuest() throws Exception {
        f.createAndStart("c1");
        f.createAndStart("c2");
        exited("c1");
        tasks.delete("c1", "", false);
        assertThat(guest.calls).contains("DeleteContainer c1");
        exited("c2");
        tasks.delete("c2", "", false);
        assertThat(guest.calls).doesNotContain("DeleteContainer c2");
    }

    @Test
    void aContainerDeletedBeforeItStartedIsEndedInTheGuest() throws Exception {
        tasks.create(f.request("c1"));
        tasks.delete("c1", "", false);
        assertThat(guest.calls).contains("DeleteContainer c1");
    }
}
