import net from "node:net";

/**
 * A TCP port that was free a moment ago. The kernel picks it (port 0), so
 * parallel jest workers do not collide the way a counter or a random number
 * would; a small race remains between close() here and the caller's bind,
 * which is why the server starters retry on "address in use".
 */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port;
}

/**
 * `count` distinct free ports: all are held open until every one is known,
 * since a port closed early could be handed out again within the same call.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, listenOnAnyPort));
  const ports = servers.map(portOf);
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}

function listenOnAnyPort(): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

function portOf(server: net.Server): number {
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error(`unexpected server address ${String(address)}`);
  return address.port;
}
