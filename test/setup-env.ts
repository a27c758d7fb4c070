// Every suite runs in test mode: NeDB in memory, no metrics port, quiet logs,
// and an auth rate limit high enough that only the suite testing it trips it.
process.env.NODE_ENV = "test";
process.env.METRICS_PORT ??= "0";
process.env.LOG_LEVEL ??= "warn";
process.env.AUTH_RATE_LIMIT ??= "100000";
