package io.jvmm.ttrpc.wire;

/** The message type byte of a ttrpc frame header. */
public enum MessageType {
    REQUEST((byte) 0x01),
    RESPONSE((byte) 0x02),
    DATA((byte) 0x03),
    /** Any other value: reserved for future use; receivers ignore such frames. */
    UNKNOWN((byte) 0x00);

    private final byte code;

    MessageType(byte code) {
        this.code = code;
    }

    public byte code() {
        return code;
    }

    public static MessageType fromCode(byte code) {
        return switch (code) {
            case 0x01 -> REQUEST;
            case 0x02 -> RESPONSE;
            case 0x03 -> DATA;
            default -> UNKNOWN;
        };
    }
}
