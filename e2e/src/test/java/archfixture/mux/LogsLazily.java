package archfixture.mux;

/** Fixture: a mux class that logs through {@link MuxLog}. */
public class LogsLazily {
    public void pipeEnded() {
        MuxLog.get().debug("pipe ended");
    }
}
