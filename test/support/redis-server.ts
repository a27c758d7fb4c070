import { PrivateServer } from "./private-server";
import { tcpProbe } from "./tcp-probe";

export type RedisServer = PrivateServer;

/**
 * A private, non-persistent redis-server. `url` is redis://127.0.0.1:<port>;
 * restart() keeps the port (data is not persisted, as for a cache).
 */
export function startRedisServer(): Promise<RedisServer> {
  return PrivateServer.start({
    command: "redis-server",
    scheme: "redis",
    args: (port, dir) => ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
    // +PONG rather than an accepted connection: a loading Redis answers -LOADING.
    isReady: (port) => tcpProbe({ port, send: "PING\r\n", expect: /^\+PONG\r\n/ }),
  });
}
