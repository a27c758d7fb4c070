/** B1: the floor of any HTTP JSON answer on this machine: node:http, no framework. */
import http from "node:http";

const body = JSON.stringify({ id: "b1", name: "Baseline", price: 1999, currency: "USD" });
http
  .createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(body) });
    res.end(body);
  })
  .listen(Number(process.env.PORT), "127.0.0.1", () => process.send?.("ready"));
