import net from "node:net";

export interface TcpProbe {
  port: number;
  host?: string;
  /** Written once connected, e.g. a PING. */
  send?: string;
  /** The server is considered up once what it sent matches. */
  expect: RegExp;
  timeoutMs?: number;
}

/**
 * One attempt at talking to a server: true if it answered as expected, false
 * if it refused, closed or stayed silent. An accepted connection alone is not
 * enough, since a listener can be bound before the server can serve.
 */
export function tcpProbe({ port, host = "127.0.0.1", send, expect, timeoutMs = 1000 }: TcpProbe): Promise<boolean> {
  return new Promise((resolve) => {
    let received = "";
    const socket = net.connect({ port, host });
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once("error", () => finish(false));
    socket.once("close", () => finish(false));
    socket.once("connect", () => {
      if (send !== undefined) socket.write(send);
    });
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      received += chunk;
      if (expect.test(received)) finish(true);
    });
  });
}
