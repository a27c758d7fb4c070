import { spawn, type ChildProcess } from "node:child_process";
import type { Readable } from "node:stream";
import { onProcessExit } from "./exit-cleanup";
import { LogBuffer } from "./log-buffer";

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. binary not on PATH). */
  error?: Error;
}

export interface OwnedProcess {
  readonly label: string;
  readonly child: ChildProcess;
  readonly output: LogBuffer;
  /** Settles once the process has exited and its output has been read. Never rejects. */
  readonly exited: Promise<ExitInfo>;
  /** undefined while the process runs. */
  exitInfo(): ExitInfo | undefined;
  /** Sends `signal`, escalates to SIGKILL after `graceMs`, resolves on exit. */
  terminate(signal?: NodeJS.Signals, graceMs?: number): Promise<ExitInfo>;
}

export interface SpawnOwnedOptions {
  label: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

// After "exit", stdout/stderr may still hold the last lines (often the crash
// reason); "close" says they are drained. The cap covers a grandchild that
// inherited the pipes and keeps them open.
const DRAIN_AFTER_EXIT_MS = 1000;

export function describeExit(info: ExitInfo): string {
  if (info.error) return `failed to start: ${info.error.message}`;
  return info.signal ? `killed by ${info.signal}` : `exited with code ${info.code}`;
}

/**
 * Spawns a process that this test process owns: its output is kept for error
 * messages and it is SIGKILLed when the test process exits, whatever the test
 * did or failed to do.
 */
export function spawnOwned(command: string, args: string[], options: SpawnOwnedOptions): OwnedProcess {
  const output = new LogBuffer(options.label);
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
  output.attach(child.stdout);
  output.attach(child.stderr);

  const unregister = onProcessExit(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  // A process a test forgot to stop must not keep the test runner alive:
  // if it did, the runner would never exit and the exit hook above, which
  // kills the process, would never run. Waits inside the harness hold timers.
  child.unref();
  for (const stream of [child.stdout, child.stderr]) unrefStream(stream);

  let info: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    const settle = (result: ExitInfo) => {
      info ??= result;
      unregister();
      resolve(info);
    };
    child.on("error", (error) => {
      // "error" without a pid means spawn itself failed and no "exit" will follow.
      output.push(`[harness] ${command}: ${error.message}`);
      if (child.pid === undefined) settle({ code: null, signal: null, error });
    });
    child.once("exit", (code, signal) => {
      info ??= { code, signal };
      const timer = setTimeout(() => settle({ code, signal }), DRAIN_AFTER_EXIT_MS);
      child.once("close", () => {
        clearTimeout(timer);
        settle({ code, signal });
      });
    });
  });

  const exitInfo = () => info;

  async function terminate(signal: NodeJS.Signals = "SIGTERM", graceMs = 10_000): Promise<ExitInfo> {
    if (info) return exited;
    child.kill(signal);
    // Also what keeps the event loop alive until the exit is seen: the child is unref'd.
    const timer = setTimeout(
      () => {
        if (signal === "SIGKILL") return;
        output.push(`[harness] no exit ${graceMs} ms after ${signal}, sending SIGKILL`);
        child.kill("SIGKILL");
      },
      signal === "SIGKILL" ? 60_000 : graceMs,
    );
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  }

  return { label: options.label, child, output, exited, exitInfo, terminate };
}

function unrefStream(stream: Readable | null): void {
  // Child pipes are net.Sockets at runtime, typed only as Readable.
  if (stream && "unref" in stream && typeof stream.unref === "function") stream.unref();
}
