/**
 * How a node proves itself to NATS (docs/security.md, "A closed cluster"):
 * whoever can connect to the cluster's NATS can join as a node, call any
 * action (payments.refund) or register a fake service. Credentials are a
 * user and password (NATS_USER, NATS_PASSWORD) or a creds file with a JWT
 * and nkey seed (NATS_CREDS_FILE); TLS with the server's CA when NATS_TLS_CA
 * is set. The broker's transporter and the durable-event bus both connect
 * with these options.
 */
import fs from "node:fs";
import { credsAuthenticator, type ConnectionOptions } from "nats";
import { ConfigError } from "./config-error";

export interface NatsAuthSettings {
  natsUser: string | undefined;
  natsPassword: string | undefined;
  natsCredsFile: string | undefined;
  natsTlsCa: string | undefined;
}

export type NatsAuthOptions = Pick<ConnectionOptions, "user" | "pass" | "authenticator" | "tls">;

/** NATS_* settings as read from the environment, checked for combinations that cannot work. */
export function natsAuthSettings(env: Record<string, string | undefined>): NatsAuthSettings {
  const settings = {
    natsUser: env.NATS_USER || undefined,
    natsPassword: env.NATS_PASSWORD || undefined,
    natsCredsFile: env.NATS_CREDS_FILE || undefined,
    natsTlsCa: env.NATS_TLS_CA || undefined,
  };
  if ((settings.natsUser === undefined) !== (settings.natsPassword === undefined)) throw new ConfigError("NATS_USER and NATS_PASSWORD go together");
  if (settings.natsUser && settings.natsCredsFile) throw new ConfigError("Set NATS_USER/NATS_PASSWORD or NATS_CREDS_FILE, not both");
  return settings;
}

export function hasNatsCredentials(settings: NatsAuthSettings, transporter: string | undefined): boolean {
  const inUrl = (transporter ?? "").split(",").some((url) => /^nats:\/\/[^/@]+@/.test(url.trim()));
  return Boolean(settings.natsUser || settings.natsCredsFile || inUrl);
}

/** The options of nats.js's connect() (moleculer's NATS transporter passes them on) for these settings. */
export function natsAuthOptions(settings: NatsAuthSettings): NatsAuthOptions {
  const options: NatsAuthOptions = {};
  if (settings.natsUser) Object.assign(options, { user: settings.natsUser, pass: settings.natsPassword });
  if (settings.natsCredsFile) options.authenticator = credsAuthenticator(fs.readFileSync(settings.natsCredsFile));
  if (settings.natsTlsCa) options.tls = { caFile: settings.natsTlsCa };
  return options;
}
