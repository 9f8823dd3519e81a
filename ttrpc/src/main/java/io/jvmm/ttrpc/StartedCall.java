package io.jvmm.ttrpc;

/** A call a server hands to its handler now, as {@link CallObserver#handling} is told of it. */
public record StartedCall(String service, String method, Metadata metadata) {}
