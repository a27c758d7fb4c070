/**
 * Starting and stopping the processes of a local cluster: a private
 * nats-server and redis-server, and node processes of the built project, one
 * per service group. Used by `npm run cluster` (scripts/cluster.ts) and
 * scripts/measure-balancers.ts; the tests have their own harness (test/support).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import readline from "node:readline";

/** The service groups of docker-compose.yml and k8s/, in start order (the gateway last would delay nothing). */
export const SERVICE_GROUPS: readonly { name: string; services: readonly string[] }[] = [
  { name: "gateway", services: ["api", "ops"] },
  { name: "accounts", services: ["users"] },
  { name: "catalog", services: ["products", "cart", "currency", "recommendations"] },
  { name: "checkout", services: ["orders", "payments"] },
  { name: "fulfilment", services: ["shipping", "notifications", "webhooks"] },
];

/** Where a build is: `npm run build` writes dist/ under the repository. */
export interface Build {
  /** The directory node processes run in (node_modules must resolve from it). */
  cwd: string;
  configFile: string;
  serviceDir: string;
}

/** The repository (these scripts run from source, with tsx). */
export const REPO_ROOT = path.resolve(__dirname, "..");

export function repoBuild(root = REPO_ROOT): Build {
  return { cwd: root, configFile: path.join(root, "dist/moleculer.config.js"), serviceDir: path.join(root, "dist/services") };
}

/** The groups with only the services this build has; groups left empty are dropped (services yet to be written). */
export function builtGroups(build: Build): { name: string; services: string[] }[] {
  const built = (service: string) => fs.existsSync(path.join(build.serviceDir, service, `${service}.service.js`));
  return SERVICE_GROUPS.map((group) => ({ name: group.name, services: group.services.filter(built) })).filter((group) => group.services.length > 0);
}

export function binaryExists(name: string): boolean {
  const probe = spawnSync(name, ["--version"], { stdio: "ignore" });
  return !probe.error;
}

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  /** Resolves with the exit code (null after a signal). */
  readonly exited: Promise<number | null>;
  running(): boolean;
  /** Sends `signal`, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

export interface StartOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Each output line; by default printed with the name as prefix. */
  onLine?: (line: string) => void;
}

export function startProcess(name: string, command: string, args: string[], options: StartOptions = {}): Child {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
  const onLine = options.onLine ?? ((line: string) => process.stdout.write(`[${name}] ${line}\n`));
  for (const stream of [child.stdout, child.stderr]) readline.createInterface({ input: stream }).on("line", onLine);
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.once("error", (err) => {
      onLine(`cannot start ${command}: ${err.message}`);
      resolve(null);
    });
  });
  const running = () => child.exitCode === null && child.signalCode === null && child.pid !== undefined;
  return {
    name,
    process: child,
    exited,
    running,
    async stop(signal = "SIGTERM", graceMs = 20_000) {
      if (!running()) return exited;
      child.kill(signal);
      const timer = setTimeout(() => running() && child.kill("SIGKILL"), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** True once something on 127.0.0.1:port answers with text matching `expect` (after `send`, if any). */
function answers(port: number, expect: RegExp, send?: string): Promise<boolean> {
  return new Promise((resolve) => {
    let text = "";
    const socket = net.connect({ port, host: "127.0.0.1" });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => send !== undefined && socket.write(send));
    socket.on("data", (chunk) => {
      text += chunk.toString();
      if (expect.test(text)) done(true);
    });
  });
}

export async function waitFor(description: string, check: () => Promise<boolean>, timeoutMs: number, child?: Child): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (child && !child.running()) throw new Error(`${child.name} exited while waiting for ${description}`);
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Whether something listens on 127.0.0.1:port already (a second server there would fail to start). */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** nats-server with JetStream on 127.0.0.1:port, its storage under `dir`. */
export async function startNats(port: number, dir: string, options: StartOptions = {}): Promise<Child> {
  fs.mkdirSync(dir, { recursive: true });
  const nats = startProcess("nats", "nats-server", ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir], options);
  // NATS greets every client with INFO once it accepts clients (JetStream included).
  await waitFor(`nats-server on port ${port}`, () => answers(port, /^INFO /m), 15_000, nats);
  return nats;
}

/** redis-server on 127.0.0.1:port without persistence (a cache and carts that expire anyway). */
export async function startRedis(port: number, dir: string, options: StartOptions = {}): Promise<Child> {
  fs.mkdirSync(dir, { recursive: true });
  const redis = startProcess("redis", "redis-server", ["--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no", "--dir", dir], options);
  await waitFor(`redis-server on port ${port}`, () => answers(port, /\+PONG/, "PING\r\n"), 15_000, redis);
  return redis;
}

/** One node of the platform: moleculer-runner with the build's config and the given SERVICES. */
export function startNode(build: Build, name: string, env: NodeJS.ProcessEnv, options: StartOptions & { launcher?: string[] } = {}): Child {
  const runner = path.join(path.dirname(require.resolve("moleculer")), "bin", "moleculer-runner.js");
  // A launcher runs node itself, e.g. ["taskset", "-c", "1"] to pin the node to one CPU.
  const [command, ...args] = [...(options.launcher ?? []), process.execPath, runner, "--config", build.configFile];
  return startProcess(name, command, args, {
    ...options,
    cwd: build.cwd,
    env: { ...process.env, SERVICEDIR: build.serviceDir, ...env },
  });
}

/** GET `url` answered `status`. */
export async function answersWith(url: string, status: number): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.status === status;
}
