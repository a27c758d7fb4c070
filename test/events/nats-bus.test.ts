/**
 * The cluster's bus: NATS JetStream on a private nats-server, consumers on
 * brokers of their own as separate nodes would be.
 */
import { describeBusContract } from "./support/bus-contract";

describeBusContract("nats");
