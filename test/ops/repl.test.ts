/**
 * The operator commands of `npm run repl` (scripts/repl-commands.ts), driven
 * over stdin like an operator would, against node processes over a private
 * NATS: first a products node alone (`stock <sku>` answers from the catalog;
 * `orders` and `deadletters` say that their services are not running), then
 * with orders and shipping nodes added (both list what they have).
 */
import path from "node:path";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { stripVTControlCharacters } from "node:util";
import { startNatsServer, type NatsServer } from "../support/nats-server";
import { startCluster, type Cluster } from "../support/cluster";
import { waitUntil } from "../support/wait-until";
import { assertFreshBuild, testedBuild } from "./ops-support";

describe("the REPL's operator commands", () => {
  let nats: NatsServer;
  let cluster: Cluster;
  let repl: ChildProcessWithoutNullStreams;
  let output = "";

  /**
   * Sends a command line until its answer contains `expected`: the REPL node
   * learns of nodes that just joined a moment after the test's broker does.
   */
  async function run(command: string, expected: string | RegExp): Promise<string> {
    const found = () => (typeof expected === "string" ? output.includes(expected) : expected.test(output));
    const attempt = async () => {
      output = "";
      repl.stdin.write(`${command}\n`);
      await waitUntil(found, { description: `"${command}" to print ${expected}`, timeoutMs: 1000, intervalMs: 20 }).catch(() => undefined);
      return found();
    };
    await waitUntil(attempt, { description: `"${command}" to print ${expected}`, timeoutMs: 15_000, intervalMs: 0 }).catch((err: Error) => {
      throw new Error(`${err.message}\nREPL output:\n${output}`);
    });
    return output;
  }

  beforeAll(async () => {
    assertFreshBuild();
    const project = testedBuild();
    nats = await startNatsServer();
    cluster = await startCluster({ project, transporter: nats.url, env: { LOG_LEVEL: "warn" }, nodes: [{ services: ["products"], name: "catalog" }] });
    repl = spawn(process.execPath, [path.join(project.root, path.dirname(project.configFile), "scripts/repl.js")], {
      cwd: project.root,
      env: { ...process.env, TRANSPORTER: nats.url, NAMESPACE: cluster.namespace, METRICS_PORT: "0", LOG_LEVEL: "warn" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    // The REPL colours its output; the checks read the plain text.
    const plain = (chunk: Buffer) => stripVTControlCharacters(chunk.toString());
    repl.stdout.on("data", (chunk: Buffer) => (output += plain(chunk)));
    repl.stderr.on("data", (chunk: Buffer) => (output += plain(chunk)));
    await waitUntil(() => output.includes("mol $"), { description: "the REPL prompt", timeoutMs: 20_000 });
    // The REPL node discovers the cluster a moment after it starts.
    await waitUntil(
      () => {
        output = "";
        repl.stdin.write("services\n");
        return new Promise((resolve) => setTimeout(() => resolve(output.includes("products")), 300));
      },
      { description: "the REPL to see the products service", timeoutMs: 15_000 },
    );
  }, 90_000);

  afterAll(async () => {
    repl?.stdin.end();
    repl?.kill("SIGTERM");
    await cluster?.stop();
    await nats?.stop();
  });

  it("stock <sku> shows a product's stock and reservations", async () => {
    const answer = await run("stock EL-1001", "Aurora Wireless Headphones");
    const row = answer.split("\n").find((line) => line.startsWith("EL-1001")) ?? "";
    expect(row.split(/\s{2,}/)).toEqual(["EL-1001", "Aurora Wireless Headphones", "42", "0", "129.99 USD", expect.stringMatching(/^\S+$/)]);
  });

  it("stock <sku> says when no product has that SKU", async () => {
    await run("stock NO-SUCH-SKU", "No listed product has SKU NO-SUCH-SKU");
  });

  it("orders and deadletters say that their services are not running", async () => {
    await run("orders paid", "No node runs the orders service");
    await run("deadletters", "No service offers a dead-letter listing action");
  });

  describe("with orders and shipping nodes", () => {
    beforeAll(async () => {
      await cluster.addNode({ services: ["orders"], name: "checkout" });
      await cluster.addNode({ services: ["shipping"], name: "fulfilment" });
    }, 90_000);

    it("orders <status> lists the orders of that status (none yet)", async () => {
      await run("orders paid", "(none)");
    });

    it("deadletters lists each consumer group's dead letters (none yet)", async () => {
      const answer = await run("deadletters", /shipping\.deadLetters:\n\(none\)/);
      expect(answer).not.toMatch(/failed/);
    });
  });
});
