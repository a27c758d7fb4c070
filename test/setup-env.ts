// Every suite runs in test mode: NeDB in memory, no metrics port, quiet logs,
// and an auth rate limit high enough that only the suite testing it trips it.
process.env.NODE_ENV = "test";
process.env.METRICS_PORT ??= "0";
process.env.LOG_LEVEL ??= "warn";
process.env.AUTH_RATE_LIMIT ??= "100000";
// The same for the checkout limits: suites check out many times with one user and the test cards decline on purpose.
process.env.CHECKOUT_ATTEMPT_LIMIT ??= "100000";
process.env.CHECKOUT_DECLINE_LIMIT ??= "100000";
// Password hashes at 2^14 rather than OWASP's 2^17 (8 times less work): suites register hundreds of users.
// test/users/password.test.ts checks the production cost itself.
process.env.PASSWORD_SCRYPT_N ??= "16384";
