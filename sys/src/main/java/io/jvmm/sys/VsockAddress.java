package io.jvmm.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** An AF_VSOCK address: context id and port. */
public record VsockAddress(int cid, int port) {
    public static final int AF_VSOCK = 40;
    /** Any local context id, for binding. */
    public static final int CID_ANY = -1;
    /** The host, seen from a guest. */
    public static final int CID_HOST = 2;

    /** struct sockaddr_vm: family u16, reserved u16, port u32, cid u32, flags u8, zero[3]. */
    MemorySegment toNative(Arena arena) {
        MemorySegment sa = arena.allocate(16, 4);
        sa.set(ValueLayout.JAVA_SHORT, 0, (short) AF_VSOCK);
        sa.set(ValueLayout.JAVA_INT, 4, port);
        sa.set(ValueLayout.JAVA_INT, 8, cid);
        return sa;
    }

    @Override
    public String toString() {
        return "vsock:" + Integer.toUnsignedString(cid) + ":" + Integer.toUnsignedString(port);
    }
}
