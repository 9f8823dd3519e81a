package io.jvmm.ttrpc;

import java.time.Instant;

/**
 * A call a server ended, as {@link CallObserver#ended} is told of it: its service and method, the request's
 * metadata (containerd's namespace, a trace context), the status it ended with, when its request arrived
 * and how long it ran from then.
 */
public record EndedCall(String service, String method, Metadata metadata, Code code, Instant start, long nanos) {}
