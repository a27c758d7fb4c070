/** A setting that cannot be used: the process refuses to start with it. */
export class ConfigError extends Error {}
