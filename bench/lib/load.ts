/**
 * One scenario's measurement: a warm-up, then several bounded autocannon runs
 * over loopback, summarised by the median run (the machines are noisy), with
 * the CPU each server process used during the measured runs.
 */
import fs from "node:fs";
import autocannon from "autocannon";

export interface LoadSpec {
  url: string;
  connections: number;
  /** Seconds per measured run. */
  duration: number;
  warmup: number;
  repeats: number;
  method?: "GET" | "POST" | "PATCH" | "DELETE";
  headers?: Record<string, string>;
  body?: string;
  /** Picks each request's path, body and headers (spread over ids, users...). */
  setupRequest?: (req: { path: string; method?: string; body?: string; headers?: Record<string, string> }) => object;
  /**
   * A sequence each connection runs in a loop (autocannon's `requests`),
   * instead of one request; `context` lives for one pass through the list.
   */
  requests?: SequenceStep[];
  /** Seconds before autocannon gives up on a response (default 10). */
  timeout?: number;
  /** Called around every autocannon run; `after` adds figures of its own to the run's result. */
  hooks?: RunHooks;
  /** What the median run is chosen by (default: req/s). */
  rankBy?: (run: RunResult) => number;
  /** Requests per second of all connections together (autocannon's overallRate): a fixed rate instead of as fast as possible. */
  overallRate?: number;
}

export type Phase = "warmup" | "measured";

export interface RunHooks {
  before?(phase: Phase): void;
  after?(phase: Phase, run: RunResult, seconds: number): Record<string, number>;
}

export type RequestData = { path: string; method?: string; body?: string; headers?: Record<string, string> };

export interface SequenceStep {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Returning a falsy value skips back to the start of the sequence. */
  setupRequest?: (req: RequestData, context: Record<string, unknown>) => RequestData | null | undefined;
  onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
}

export interface RunResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  requests: number;
  /** Scenario-specific figures of the run (RunHooks.after). */
  extra?: Record<string, number>;
}

export interface Measurement extends RunResult {
  runs: RunResult[];
  /** Seconds of CPU per second of wall time, per process label (1.0 = one core). */
  cpu: Record<string, number>;
  /** Wall time of the measured runs, seconds (what `cpu` is per). */
  wallSeconds: number;
}

type CannonResult = { requests: { average: number; total: number }; latency: { p50: number; p99: number }; errors: number; timeouts: number; non2xx: number };

function run(spec: LoadSpec, seconds: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration: seconds,
        method: spec.method ?? "GET",
        headers: spec.headers,
        body: spec.body,
        requests: spec.requests ?? (spec.setupRequest ? [{ setupRequest: spec.setupRequest as never }] : undefined),
        timeout: spec.timeout,
        ...(spec.overallRate ? { overallRate: spec.overallRate } : {}),
      } as never,
      (err: Error | null, res: CannonResult) => {
        if (err) return reject(err);
        resolve({
          rps: res.requests.average,
          p50: res.latency.p50,
          p99: res.latency.p99,
          errors: res.errors + res.timeouts,
          non2xx: res.non2xx,
          requests: res.requests.total,
        });
      },
    );
  });
}

async function hookedRun(spec: LoadSpec, phase: Phase, seconds: number): Promise<RunResult> {
  spec.hooks?.before?.(phase);
  const result = await run(spec, seconds);
  const extra = spec.hooks?.after?.(phase, result, seconds);
  return extra ? { ...result, extra } : result;
}

/** Resident memory of a process, MB (Linux /proc); NaN when it is gone. */
export function residentMb(pid: number): number {
  try {
    const line = fs.readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
    return line ? Math.round(Number(line.split(/\s+/)[1]) / 1024) : NaN;
  } catch {
    return NaN;
  }
}

/** utime + stime of a process, in seconds (Linux /proc). */
export function cpuSeconds(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

export async function measure(spec: LoadSpec, processes: Record<string, number>): Promise<Measurement> {
  if (spec.warmup > 0) await hookedRun(spec, "warmup", spec.warmup);
  const before = Object.fromEntries(Object.entries(processes).map(([label, pid]) => [label, cpuSeconds(pid)]));
  const started = Date.now();
  const runs: RunResult[] = [];
  for (let i = 0; i < spec.repeats; i++) runs.push(await hookedRun(spec, "measured", spec.duration));
  const wall = (Date.now() - started) / 1000;
  const cpu = Object.fromEntries(Object.entries(processes).map(([label, pid]) => [label, Number(((cpuSeconds(pid) - before[label]) / wall).toFixed(2))]));
  const rank = spec.rankBy ?? ((r: RunResult) => r.rps);
  const median = [...runs].sort((a, b) => rank(a) - rank(b))[Math.floor(runs.length / 2)];
  return { ...median, errors: runs.reduce((n, r) => n + r.errors, 0), non2xx: runs.reduce((n, r) => n + r.non2xx, 0), runs, cpu, wallSeconds: wall };
}
