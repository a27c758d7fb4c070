import net from "node:net";

/**
 * A TCP port that was free a moment ago. The kernel picks it (port 0), so
 * parallel jest workers do not collide the way a counter or a random number
 * would; a small race remains between close() here and the caller's bind,
 * which is why the server starters retry on "address in use".
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error(`freePort: unexpected server address ${String(address)}`));
        return;
      }
      server.close((err) => (err ? reject(err) : resolve(address.port)));
    });
  });
}
