/**
 * At most `size` handlers at once, and a way to wait for the running ones
 * (graceful stop). Work that fails was already settled by the dispatcher
 * (nak or dead letter); what is left to fail here is an ack on a closed
 * connection, which the bus answers with a redelivery.
 */
export class Slots {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly size: number) {}

  get busy(): number {
    return this.running.size;
  }

  async take(): Promise<void> {
    while (this.running.size >= this.size) await Promise.race(this.running);
  }

  run(work: Promise<void>): void {
    const done: Promise<void> = work.catch(() => undefined).finally(() => this.running.delete(done));
    this.running.add(done);
  }

  async drain(): Promise<void> {
    await Promise.all(this.running);
  }
}
