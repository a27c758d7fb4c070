/**
 * Embedded mode (no transporter): the in-process bus keeps the promises of
 * the JetStream one, so `npm run dev` behaves like the cluster.
 */
import { describeBusContract } from "./support/bus-contract";

describeBusContract("memory");
