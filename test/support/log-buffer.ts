import type { Readable } from "node:stream";

/**
 * The recent output of a child process, kept so that a failure message can
 * quote it: a node that dies at startup is otherwise a silent timeout.
 * Set TEST_ECHO_LOGS=1 to also see every line live on stderr.
 */
export class LogBuffer {
  private readonly kept: string[] = [];
  private readonly echo = Boolean(process.env.TEST_ECHO_LOGS);

  constructor(
    private readonly label: string,
    private readonly maxLines = 5000,
  ) {}

  /** Collects `stream` line by line; a line split across chunks is joined before it is kept. */
  attach(stream: Readable | null): void {
    if (!stream) return;
    let partial = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      const lines = (partial + chunk).split(/\r?\n/);
      partial = lines.pop() ?? "";
      for (const line of lines) this.push(line);
    });
    stream.on("end", () => {
      if (partial) this.push(partial);
      partial = "";
    });
  }

  push(line: string): void {
    this.kept.push(line);
    if (this.kept.length > this.maxLines) this.kept.splice(0, this.kept.length - this.maxLines);
    if (this.echo) process.stderr.write(`[${this.label}] ${line}\n`);
  }

  text(): string {
    return this.kept.join("\n");
  }

  tail(lines = 50): string {
    return this.kept.slice(-lines).join("\n");
  }

  /** `tail()` framed for an error message. */
  excerpt(lines = 50): string {
    const body = this.kept.length === 0 ? "(no output)" : this.tail(lines);
    return `--- last ${Math.min(lines, this.kept.length)} lines of ${this.label} ---\n${body}\n--- end of ${this.label} ---`;
  }
}
