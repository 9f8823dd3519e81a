package io.jvmm.shim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The group start lock across real processes (file locks are per process: a second holder must be
 * another JVM): the file goes when its holder says so, and a start that waited on a file deleted under it
 * ends up holding the file that is there now, never a deleted one beside a newcomer's.
 */
class GroupStartLockTest {
    @TempDir
    Path dir;

    /**
     * delete after a server that cleaned up after itself: nothing is created, not even for a moment, so a
     * delete killed halfway (containerd kills a slow one) cannot leave a lock file behind.
     */
    @Test
    void removingAGroupThatIsGoneTouchesNothing() throws Exception {
        StartAction.removeGroupFiles(dir.resolve("group"));
        try (var files = Files.list(dir)) {
            assertThat(files.toList()).as("no lock file, no guard").isEmpty();
        }
    }

    @Test
    void removingAGroupWhoseServerIsGoneTakesItsSocketAndLock() throws Exception {
        Path socket = Files.createFile(dir.resolve("group"));
        Files.createFile(StartAction.lockPath(socket));
        StartAction.removeGroupFiles(socket);
        assertThat(socket).doesNotExist();
        assertThat(StartAction.lockPath(socket)).doesNotExist();
    }

    @Test
    void theLockFileIsMadeWhenTakenAndGoneOnceItsHolderDeletesIt() throws Exception {
        Path file = dir.resolve("group.lock");
        try (GroupStartLock lock = GroupStartLock.acquire(file)) {
            assertThat(file).exists();
            assertThat(otherProcessCanLock(file)).as("held by this process").isFalse();
            lock.deleteFile();
            assertThat(file).doesNotExist();
        }
        assertThat(dir.resolve(GroupStartLock.GUARD))
                .as("the directory's guard stays")
                .exists();
        try (GroupStartLock again = GroupStartLock.acquire(file)) {
            assertThat(file).exists();
        }
        assertThat(otherProcessCanLock(file)).as("released on close").isTrue();
    }

    @Test
    void aStartThatWaitedOnADeletedFileHoldsTheFileThatIsThereNow() throws Exception {
        Path file = dir.resolve("group.lock");
        Process holder = child("hold-then-delete", file.toString(), "1500");
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))) {
            assertThat(out.readLine()).isEqualTo("held");
            CompletableFuture<GroupStartLock> waiter = CompletableFuture.supplyAsync(() -> {
                try {
                    return GroupStartLock.acquire(file);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (GroupStartLock lock = waiter.get(30, TimeUnit.SECONDS)) {
                assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(holder.exitValue()).isZero();
                assertThat(file).as("made again by the waiter").exists();
                assertThat(otherProcessCanLock(file))
                        .as("the file at the path is the one the waiter holds")
                        .isFalse();
            }
        } finally {
            holder.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static boolean otherProcessCanLock(Path file) throws Exception {
        Process p = child("try", file.toString());
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                .strip()
                .equals("locked");
    }

    private static Process child(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                Child.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
    }

    /** The other process: holds the lock and deletes its file, or tries the file's lock once. */
    static final class Child {
        public static void main(String[] args) throws Exception {
            Path file = Path.of(args[1]);
            if (args[0].equals("hold-then-delete")) {
                try (GroupStartLock lock = GroupStartLock.acquire(file)) {
                    System.out.println("held");
                    System.out.flush();
                    Thread.sleep(Long.parseLong(args[2])); // the test's waiter is blocked on this file meanwhile
                    lock.deleteFile();
                }
                return;
            }
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                FileLock lock = ch.tryLock();
                System.out.println(lock != null ? "locked" : "busy");
            }
        }
    }
}
