package archfixture.ttrpc.transport;

/** Fixture: an internal of the ttrpc module. */
public class Connection {}
