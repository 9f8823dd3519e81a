package archfixture.mux;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** Fixture violation: a mux class that initialises log4j as it loads. */
public class EagerLog {
    private static final Logger LOG = LogManager.getLogger(EagerLog.class);

    public void pipeEnded() {
        LOG.debug("pipe ended");
    }
}
