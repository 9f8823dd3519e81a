package io.jvmm.ttrpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.StringValue;
import io.jvmm.ttrpc.proto.Request;
import io.jvmm.ttrpc.proto.Response;
import io.jvmm.ttrpc.testing.InteropService;
import io.jvmm.ttrpc.testing.RawConnection;
import io.jvmm.ttrpc.testing.RawConnection.RawFrame;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The protocol contract for the Netty server, and what only it serves: methods that stream requests. */
class ServerProtocolTest extends ServerProtocolContract {
    @Override
    protected Served serve(Path socket, ServiceDefinition service) throws IOException {
        TtrpcServer server =
                TtrpcServer.builder().addService(InteropService.definition()).bind(socket);
        return Served.of(server::activeCalls, server::shutdown);
    }

    @Test
    void closeFlagOnDataWithoutNoDataStillDeliversTheMessage() throws IOException {
        try (RawConnection conn = RawConnection.open(socket())) {
            byte[] open = Request.newBuilder()
                    .setService(InteropService.NAME)
                    .setMethod("Concat")
                    .build()
                    .toByteArray();
            conn.writeFrame(1, REQUEST, 0x02, open);
            conn.writeFrame(1, DATA, 0, StringValue.of("a").toByteArray());
            conn.writeFrame(1, DATA, 0x01, StringValue.of("b").toByteArray());
            RawFrame frame = conn.readFrame();
            Response response = response(frame);
            assertThat(response.getStatus().getCode()).isZero();
            assertThat(StringValue.parseFrom(response.getPayload()).getValue()).isEqualTo("ab");
        }
    }
}
