import fs from "node:fs";
import { connect, type NatsConnection } from "nats";
import { startNatsServer, type NatsServer } from "../support/nats-server";

const STREAM = "HARNESS";

async function withConnection<T>(server: NatsServer, use: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const nc = await connect({ servers: server.url, reconnect: false, timeout: 2000 });
  try {
    return await use(nc);
  } finally {
    await nc.close();
  }
}

const storedMessages = (server: NatsServer) =>
  withConnection(server, async (nc) => {
    const jsm = await nc.jetstreamManager();
    return (await jsm.streams.info(STREAM)).state.messages;
  });

describe("private nats-server", () => {
  let nats: NatsServer;

  beforeEach(async () => {
    nats = await startNatsServer();
    await withConnection(nats, async (nc) => {
      const jsm = await nc.jetstreamManager();
      await jsm.streams.add({ name: STREAM, subjects: ["harness.>"] });
      await nc.jetstream().publish("harness.created", new TextEncoder().encode("kept"));
    });
  });

  afterEach(async () => {
    await nats.stop();
  });

  it("runs on a private loopback port with JetStream on", async () => {
    expect(nats.port).not.toBe(4222);
    expect(nats.url).toBe(`nats://127.0.0.1:${nats.port}`);
    const account = await withConnection(nats, async (nc) => (await nc.jetstreamManager()).getAccountInfo());
    expect(account.streams).toBe(1);
  });

  it("keeps port and JetStream data across a graceful restart", async () => {
    const { port, pid } = nats;
    await nats.restart();
    expect(nats.port).toBe(port);
    expect(nats.pid).not.toBe(pid);
    expect(await storedMessages(nats)).toBe(1);
  });

  it("refuses connections once killed and serves again after restart on the same port", async () => {
    const port = nats.port;
    await nats.kill();
    expect(nats.isRunning()).toBe(false);
    await expect(connect({ servers: nats.url, reconnect: false, timeout: 1000 })).rejects.toThrow();

    await nats.restart();
    expect(nats.port).toBe(port);
    // The stream's definition is on disk from creation, whatever the crash did to buffered writes.
    const streams = await withConnection(nats, async (nc) => (await nc.jetstreamManager()).getAccountInfo());
    expect(streams.streams).toBe(1);
  });

  it("stop() ends the process and removes its storage dir", async () => {
    const other = await startNatsServer();
    expect(other.port).not.toBe(nats.port);
    expect(fs.existsSync(other.dir)).toBe(true);
    await other.stop();
    expect(other.isRunning()).toBe(false);
    expect(fs.existsSync(other.dir)).toBe(false);
    await expect(other.restart()).rejects.toThrow(/stop\(\) is final/);
  });
});
