/**
 * A webhook receiver on 127.0.0.1 as an integrator would write one: every
 * message is verified with the `standardwebhooks` package (the reference
 * verifier of the specification) against the secrets it is given, and
 * answered with the next status of its script (200 once the script is used
 * up). What came, verified or not, is kept for the test to read.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export interface Received {
  headers: Record<string, string>;
  body: string;
  /** The parsed message when some secret verified it; null when none did. */
  verified: { type: string; timestamp: string; data: Record<string, any> } | null;
  /** Which of the receiver's secrets verified it (index), or -1. */
  verifiedBy: number;
  answered: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** The next answers, in order (e.g. [500, 500] then 200s). */
  answer(statuses: number[]): void;
  /** Secrets to verify with, as the integrator holds them (`whsec_...`). */
  trust(secrets: string[]): void;
  stop(): Promise<void>;
}

export async function startReceiver(path = "/hooks"): Promise<Receiver> {
  const received: Received[] = [];
  let script: number[] = [];
  let secrets: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      let verified: Received["verified"] = null;
      let verifiedBy = -1;
      secrets.forEach((secret, index) => {
        if (verified) return;
        try {
          verified = new Webhook(secret).verify(body, headers) as Received["verified"];
          verifiedBy = index;
        } catch {
          // not this secret
        }
      });
      const answered = req.url === path ? (script.shift() ?? 200) : 404;
      received.push({ headers, body, verified, verifiedBy, answered });
      res.writeHead(answered, { "content-type": "text/plain" }).end(answered >= 400 ? "receiver says no ".repeat(200) : "ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    received,
    answer: (statuses) => void (script = [...statuses]),
    trust: (list) => void (secrets = [...list]),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
