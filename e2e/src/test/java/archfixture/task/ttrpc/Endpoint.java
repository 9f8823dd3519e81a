package archfixture.task.ttrpc;

import com.google.protobuf.Empty;

/** Fixture: protobuf at the edge, allowed. */
public class Endpoint {
    public Object empty() {
        return Empty.getDefaultInstance();
    }
}
