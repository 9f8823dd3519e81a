package archfixture.guest;

import archfixture.ttrpc.Wire;
import org.apache.logging.log4j.LogManager;

/** Fixture violation: the guest agent serving on a Netty-based class and logging through log4j. */
public class StartsHeavy {
    public Object server() {
        LogManager.getLogger(StartsHeavy.class).info("starting");
        return new Wire();
    }
}
