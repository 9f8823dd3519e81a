package io.jvmm.sys;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** An AF_UNIX socket address for the libc calls Java's NIO does not offer (passing or receiving descriptors). */
public final class UnixAddress {
    public static final int AF_UNIX = 1;
    /** sizeof(struct sockaddr_un): a 2-byte family and 108 bytes of path, NUL included. */
    private static final int SIZE = 110;

    private static final int MAX_PATH_BYTES = 107;

    private UnixAddress() {}

    /** struct sockaddr_un for {@code path}, allocated in {@code arena}; a path the struct cannot hold is refused. */
    public static MemorySegment toNative(Path path, Arena arena) throws IOException {
        byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length > MAX_PATH_BYTES) {
            throw new IOException("socket path longer than " + MAX_PATH_BYTES + " bytes: " + path);
        }
        MemorySegment address = arena.allocate(SIZE, 2);
        address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
        MemorySegment.copy(name, 0, address, ValueLayout.JAVA_BYTE, 2, name.length);
        return address;
    }
}
