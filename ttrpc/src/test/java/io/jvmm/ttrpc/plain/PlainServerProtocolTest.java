package io.jvmm.ttrpc.plain;

import io.jvmm.sys.UnixListener;
import io.jvmm.ttrpc.ServerProtocolContract;
import io.jvmm.ttrpc.ServiceDefinition;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The plain server answers broken and hostile input exactly as the Netty server does. */
class PlainServerProtocolTest extends ServerProtocolContract {
    @Override
    protected Served serve(Path socket, ServiceDefinition service) throws IOException {
        PlainServer server = PlainServer.serve(UnixListener.bind(socket, 16), "test", List.of(service));
        return Served.of(server::activeCalls, server::shutdown);
    }
}
