package io.jvmm.ttrpc;

/** A failed call, carrying the status that travels on the wire. */
public class TtrpcException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Status status;

    public TtrpcException(Status status) {
        super(status.toString());
        this.status = status;
    }

    public TtrpcException(Code code, String message) {
        this(new Status(code, message));
    }

    public TtrpcException(Code code, String message, Throwable cause) {
        super(new Status(code, message).toString(), cause);
        this.status = new Status(code, message);
    }

    public Status status() {
        return status;
    }

    public Code code() {
        return status.code();
    }
}
