import { errorMessage } from "./error-message";
import { describeExit, spawnOwned, type OwnedProcess } from "./owned-process";
import { freePort } from "./ports";
import { makeTempDir, removeTempDir } from "./temp-dirs";
import { waitUntil } from "./wait-until";

/**
 * How to run one kind of server binary (nats-server, redis-server) privately
 * for a test: on 127.0.0.1, on a port of its own, with its files in a temp
 * dir of its own, so tests never meet the machine's shared instances.
 */
export interface ServerRecipe {
  /** Binary, looked up on PATH. */
  command: string;
  /** URL scheme of `url`. */
  scheme: string;
  args(port: number, dir: string): string[];
  /** One readiness attempt; false (or throwing) means "not yet". */
  isReady(port: number): Promise<boolean>;
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
}

const PORT_ATTEMPTS = 3;
const ADDRESS_IN_USE = /address already in use/i;

export class PrivateServer {
  private current: OwnedProcess | undefined;
  private stopped = false;

  private constructor(
    private readonly recipe: ServerRecipe,
    /** Kept across restart(): clients reconnect to the same address. */
    readonly port: number,
    /** Kept across kill() and restart(), removed by stop(). */
    readonly dir: string,
  ) {}

  static async start(recipe: ServerRecipe): Promise<PrivateServer> {
    const dir = makeTempDir(recipe.command);
    for (let attempt = 1; ; attempt++) {
      const server = new PrivateServer(recipe, await freePort(), dir);
      try {
        await server.launch();
        return server;
      } catch (err) {
        // Another process took the port between freePort() and the bind: pick another.
        if (attempt < PORT_ATTEMPTS && server.lastOutputMatches(ADDRESS_IN_USE)) continue;
        await removeTempDir(dir);
        throw err;
      }
    }
  }

  get url(): string {
    return `${this.recipe.scheme}://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.isRunning() ? this.current?.child.pid : undefined;
  }

  isRunning(): boolean {
    return this.current !== undefined && this.current.exitInfo() === undefined;
  }

  /** Output of the current (or last) run. */
  logs(): string {
    return this.current?.output.text() ?? "";
  }

  /** Graceful shutdown (SIGTERM), then the storage dir is removed. Final. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.current?.terminate("SIGTERM", this.recipe.stopTimeoutMs ?? 10_000);
    await removeTempDir(this.dir);
  }

  /** SIGKILL, as a crash would; the storage dir stays for restart(). */
  async kill(): Promise<void> {
    await this.current?.terminate("SIGKILL");
  }

  /**
   * Starts the server again on the same port with the same storage dir;
   * a running server is first shut down gracefully so it can flush its data.
   */
  async restart(): Promise<void> {
    if (this.stopped) throw new Error(`${this.recipe.command} on port ${this.port} was stopped; stop() is final (use kill() before restart())`);
    await this.current?.terminate("SIGTERM", this.recipe.stopTimeoutMs ?? 10_000);
    await this.launch();
  }

  private lastOutputMatches(pattern: RegExp): boolean {
    return pattern.test(this.current?.output.text() ?? "");
  }

  private async launch(): Promise<void> {
    const { command } = this.recipe;
    const proc = spawnOwned(command, this.recipe.args(this.port, this.dir), { label: `${command}:${this.port}` });
    this.current = proc;
    try {
      await waitUntil(() => this.recipe.isReady(this.port), {
        description: `${command} to serve on 127.0.0.1:${this.port}`,
        timeoutMs: this.recipe.startTimeoutMs ?? 15_000,
        intervalMs: 50,
        failFast: () => {
          const exit = proc.exitInfo();
          return exit && new Error(`${command} on port ${this.port} ${describeExit(exit)} before it was ready`);
        },
      });
    } catch (err) {
      await proc.terminate("SIGKILL");
      throw new Error(`${errorMessage(err)}\n${proc.output.excerpt(50)}`);
    }
  }
}
