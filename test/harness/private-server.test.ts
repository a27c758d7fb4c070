import { PrivateServer } from "../support/private-server";
import { tcpProbe } from "../support/tcp-probe";

describe("PrivateServer start failures", () => {
  it("fails fast with the server's own output when it exits during startup", async () => {
    // "Fast": it gives up on the exit, not at startTimeoutMs. The error tells which: a start that waited
    // for the timeout says "Timed out after", not "exited ... before it was ready". No stopwatch, so
    // a loaded machine cannot fail it.
    const attempt = PrivateServer.start({
      command: "redis-server",
      scheme: "redis",
      args: (port) => ["--port", String(port), "--no-such-directive", "yes"],
      isReady: (port) => tcpProbe({ port, send: "PING\r\n", expect: /^\+PONG/ }),
      startTimeoutMs: 20_000,
    });
    await expect(attempt).rejects.toThrow(/exited with code \d+ before it was ready[\s\S]*no-such-directive/i);
  });

  it("names a missing binary", async () => {
    const attempt = PrivateServer.start({
      command: "no-such-server-binary",
      scheme: "x",
      args: () => [],
      isReady: async () => false,
    });
    await expect(attempt).rejects.toThrow(/no-such-server-binary.*failed to start: spawn no-such-server-binary ENOENT/);
  });
});
