package io.jvmm.shim;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * The lock that lets one {@code start} at a time look at a group's socket (and start its server), held
 * on a file next to the socket. The file must not outlive its group, yet deleting a lock file others may
 * be waiting on is the classic trap: a waiter would wake holding the lock of a file that is gone while a
 * newcomer locks a new file of the same name. So the file is created and deleted only under a short
 * directory-wide guard (one file that stays), and whoever acquires the lock checks, under the guard, that
 * the path still names the file it locked; if not, it tries again.
 */
final class GroupStartLock implements AutoCloseable {
    /** The directory-wide guard, held for a file open and a stat at a time, never while waiting. */
    static final String GUARD = "jvmm-start.guard";

    private final Path file;
    private final FileChannel channel;

    private GroupStartLock(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /** Blocks until this process holds the lock named by {@code file} (created if missing). */
    static GroupStartLock acquire(Path file) throws IOException {
        while (true) {
            FileChannel channel;
            Object key;
            try (Guard ignored = Guard.hold(file.getParent())) {
                channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                key = fileKey(file);
            }
            try {
                channel.lock();
                boolean current;
                try (Guard ignored = Guard.hold(file.getParent())) {
                    current = key != null && key.equals(fileKey(file));
                }
                if (current) {
                    return new GroupStartLock(file, channel);
                }
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
            channel.close(); // it was deleted while this process waited: lock the file that is there now
        }
    }

    /** Removes the lock file (the group is gone); waiters notice and lock a new one. Only while held. */
    void deleteFile() throws IOException {
        try (Guard ignored = Guard.hold(file.getParent())) {
            Files.deleteIfExists(file);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close(); // releases the lock
    }

    private static Object fileKey(Path file) throws IOException {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                    .fileKey();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** The directory's guard file, locked for as long as this is open. */
    private record Guard(FileChannel channel) implements AutoCloseable {
        static Guard hold(Path dir) throws IOException {
            FileChannel channel = FileChannel.open(
                    Objects.requireNonNull(dir).resolve(GUARD), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                FileLock ignored = channel.lock();
                return new Guard(channel);
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
