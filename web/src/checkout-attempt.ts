/**
 * One Idempotency-Key per checkout attempt (docs/api.md, "Idempotency of
 * checkout"). A retry of the same attempt (a double click, a network error, a
 * 503 or 504 whose outcome is unknown) sends the same key, so the API answers
 * the first outcome instead of making a second order. An attempt ends with
 * an answer that is final for its key (a 2xx or a 4xx); a changed form is a
 * new attempt, since the API refuses a key reused with another body.
 */
export interface Attempt {
  key: string;
  body: string;
}

export class CheckoutAttempts {
  private open: Attempt | null = null;

  constructor(private readonly newKey: () => string = () => crypto.randomUUID()) {}

  /** The key to send this body with. */
  keyFor(body: unknown): string {
    const text = JSON.stringify(body);
    if (!this.open || this.open.body !== text) this.open = { key: this.newKey(), body: text };
    return this.open.key;
  }

  /** The answer's status (0: none arrived). Retriable outcomes keep the attempt open. */
  answered(status: number): void {
    if (status === 0 || status === 503 || status === 504) return;
    this.open = null;
  }
}
