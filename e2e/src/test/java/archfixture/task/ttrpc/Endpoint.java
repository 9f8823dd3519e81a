package archfixture.task.ttrpc;

/** Fixture: protobuf at the edge, allowed. */
public class Endpoint {
    public Object empty() {
        return com.google.protobuf.Empty.getDefaultInstance();
    }
}
