package io.jvmm.ttrpc.demo;

import com.google.protobuf.StringValue;
import io.jvmm.ttrpc.CallOptions;
import io.jvmm.ttrpc.ClientCall;
import io.jvmm.ttrpc.MethodKind;
import io.jvmm.ttrpc.ServiceDefinition;
import io.jvmm.ttrpc.TtrpcClient;
import io.jvmm.ttrpc.TtrpcServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * The ttrpc demo the quickstart runs.
 *
 * <pre>
 *   EchoDemo server &lt;socket&gt;          serve jvmm.demo.v1.Echo until SIGTERM
 *   EchoDemo client &lt;socket&gt; &lt;text&gt;   call Echo (unary) and Shout (bidirectional streaming)
 * </pre>
 */
public final class EchoDemo {
    static final String SERVICE = "jvmm.demo.v1.Echo";

    private EchoDemo() {}

    public static void main(String[] args) throws Exception {
        if (args.length >= 2 && args[0].equals("server")) {
            serve(Path.of(args[1]));
        } else if (args.length >= 3 && args[0].equals("client")) {
            call(Path.of(args[1]), args[2]);
        } else {
            System.err.println("usage: EchoDemo server <socket> | client <socket> <text>");
            System.exit(2);
        }
    }

    static ServiceDefinition service() {
        return ServiceDefinition.builder(SERVICE)
                .unary("Echo", StringValue.parser(), (ctx, req) -> req)
                .bidiStreaming("Shout", StringValue.parser(), (ctx, in, out) -> {
                    for (Optional<StringValue> m = in.next(); m.isPresent(); m = in.next()) {
                        out.send(StringValue.of(m.get().getValue().toUpperCase(Locale.ROOT) + "!"));
                    }
                })
                .build();
    }

    private static void serve(Path socket) throws Exception {
        TtrpcServer server = TtrpcServer.builder()
                .addService(service())
                .requireSameUser(true)
                .bind(socket);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdown(Duration.ofSeconds(2));
            stopped.countDown();
        }));
        System.out.println("ttrpc echo server listening on " + socket);
        stopped.await();
    }

    private static void call(Path socket, String text) throws Exception {
        try (TtrpcClient client = TtrpcClient.connect(socket)) {
            CallOptions options = CallOptions.withTimeout(Duration.ofSeconds(5));
            StringValue echoed = client.unary(SERVICE, "Echo", StringValue.of(text), StringValue.parser(), options);
            System.out.println("Echo  -> " + echoed.getValue());
            ClientCall<StringValue, StringValue> shout =
                    client.stream(SERVICE, "Shout", MethodKind.BIDI_STREAMING, null, StringValue.parser(), options);
            for (String word : text.split("\\s+")) {
                shout.send(StringValue.of(word));
                System.out.println(
                        "Shout -> " + shout.receive().map(StringValue::getValue).orElse("<end>"));
            }
            shout.closeSend();
            shout.receive();
        }
    }
}
