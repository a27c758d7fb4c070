/**
 * The Standard Webhooks signature scheme (https://www.standardwebhooks.com),
 * so a receiver can verify with an off-the-shelf library:
 *
 *   webhook-id:        msg_<id>, the same on every retry of one message
 *   webhook-timestamp: seconds since the epoch of this attempt
 *   webhook-signature: v1,<base64 HMAC-SHA256 over "<id>.<timestamp>.<body>">
 *
 * The key is the secret's base64 part (`whsec_<base64>`). During a secret
 * rotation the header carries one signature per valid secret, separated by
 * spaces, and a receiver accepts the message if any of them matches.
 */
import { createHmac, randomBytes } from "node:crypto";

const SECRET_PREFIX = "whsec_";
/** 24 random bytes: within the 24 to 64 bytes the specification recommends. */
const SECRET_BYTES = 24;

export function newSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString("base64");
}

export function isSecret(value: unknown): value is string {
  return typeof value === "string" && value.startsWith(SECRET_PREFIX) && Buffer.from(value.slice(SECRET_PREFIX.length), "base64").length >= SECRET_BYTES;
}

export function sign(secret: string, id: string, timestampSec: number, body: string): string {
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestampSec}.${body}`).digest("base64")}`;
}

export interface WebhookHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/** The three headers of one attempt, signed with every secret given (current first). */
export function webhookHeaders(secrets: readonly string[], id: string, timestampSec: number, body: string): WebhookHeaders {
  if (secrets.length === 0) throw new Error("A webhook needs at least one secret to be signed");
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestampSec),
    "webhook-signature": secrets.map((secret) => sign(secret, id, timestampSec, body)).join(" "),
  };
}
