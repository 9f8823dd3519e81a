package io.jvmm.ttrpc;

import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A service as the server dispatches it: the fully-qualified protobuf service name and its methods.
 * Built either by hand ({@link #builder(String)}) or checked against the service's protobuf
 * descriptor ({@link #builder(ServiceDescriptor)}), which rejects missing methods, wrong streaming
 * kinds and wrong request types when the definition is built rather than when a call arrives.
 */
public final class ServiceDefinition {
    private final String name;
    private final Map<String, MethodDefinition<?, ?>> methods;

    private ServiceDefinition(String name, Map<String, MethodDefinition<?, ?>> methods) {
        this.name = name;
        this.methods = Collections.unmodifiableMap(methods);
    }

    public static Builder builder(String serviceName) {
        return new Builder(serviceName, null);
    }

    public static Builder builder(ServiceDescriptor descriptor) {
        return new Builder(descriptor.getFullName(), descriptor);
    }

    public String name() {
        return name;
    }

    public Optional<MethodDefinition<?, ?>> method(String methodName) {
        return Optional.ofNullable(methods.get(methodName));
    }

    public Map<String, MethodDefinition<?, ?>> methods() {
        return methods;
    }

    public static final class Builder {
        private final String name;
        private final ServiceDescriptor descriptor;
        private final Map<String, MethodDefinition<?, ?>> methods = new LinkedHashMap<>();

        private Builder(String name, ServiceDescriptor descriptor) {
            Objects.requireNonNull(name, "name");
            if (name.isEmpty()) {
                throw new IllegalArgumentException("service name must not be empty");
            }
            this.name = name;
            this.descriptor = descriptor;
        }

        public <Req extends Message, Resp extends Message> Builder unary(
                String method, Parser<Req> parser, MethodHandler.Unary<Req, Resp> handler) {
            return add(new MethodDefinition<>(method, parser, handler));
        }

        /** A unary method whose handler never blocks; it runs on the I/O thread (see {@link Dispatch#EVENT_LOOP}). */
        public <Req extends Message, Resp extends Message> Builder unaryNonBlocking(
                String method, Parser<Req> parser, MethodHandler.Unary<Req, Resp> handler) {
            return add(new MethodDefinition<>(method, parser, handler, Dispatch.EVENT_LOOP));
        }

        public <Req extends Message, Resp extends Message> Builder serverStreaming(
                String method, Parser<Req> parser, MethodHandler.ServerStreaming<Req, Resp> handler) {
            return add(new MethodDefinition<>(method, parser, handler));
        }

        public <Req extends Message, Resp extends Message> Builder clientStreaming(
                String method, Parser<Req> parser, MethodHandler.ClientStreaming<Req, Resp> handler) {
            return add(new MethodDefinition<>(method, parser, handler));
        }

        public <Req extends Message, Resp extends Message> Builder bidiStreaming(
                String method, Parser<Req> parser, MethodHandler.BidiStreaming<Req, Resp> handler) {
            return add(new MethodDefinition<>(method, parser, handler));
        }

        public Builder add(MethodDefinition<?, ?> method) {
            if (methods.putIfAbsent(method.name(), method) != null) {
                throw new IllegalArgumentException("method " + name + "/" + method.name() + " registered twice");
            }
            return this;
        }

        public ServiceDefinition build() {
            if (descriptor != null) {
                checkAgainstDescriptor();
            }
            return new ServiceDefinition(name, new LinkedHashMap<>(methods));
        }

        private void checkAgainstDescriptor() {
            for (MethodDescriptor md : descriptor.getMethods()) {
                MethodDefinition<?, ?> def = methods.get(md.getName());
                if (def == null) {
                    throw new IllegalArgumentException("method " + md.getFullName() + " has no handler");
                }
                MethodKind declared = MethodKind.of(md.isClientStreaming(), md.isServerStreaming());
                if (def.kind() != declared) {
                    throw new IllegalArgumentException(
                            "method " + md.getFullName() + " is " + declared + " but its handler is " + def.kind());
                }
                Message prototype = sampleOf(def);
                if (prototype instanceof Message m
                        && !m.getDescriptorForType()
                                .getFullName()
                                .equals(md.getInputType().getFullName())) {
                    throw new IllegalArgumentException("method " + md.getFullName() + " takes "
                            + md.getInputType().getFullName() + " but its parser makes "
                            + m.getDescriptorForType().getFullName());
                }
            }
            for (String method : methods.keySet()) {
                if (descriptor.findMethodByName(method) == null) {
                    throw new IllegalArgumentException("service " + name + " declares no method " + method);
                }
            }
        }

        private static Message sampleOf(MethodDefinition<?, ?> def) {
            try {
                return def.requestParser().parseFrom(new byte[0]);
            } catch (InvalidProtocolBufferException e) {
                return null;
            }
        }
    }
}
