/**
 * A local SMTP server (the `smtp-server` package) that keeps every mail it
 * accepts, on a free loopback port. A mail counts once the sender got the
 * server's "250 accepted", as for a real mail server.
 *
 * hold() makes it read new mails without answering them: their senders wait
 * in the middle of the send until release(). Mails whose sender disconnected
 * meanwhile (a killed node) are dropped then, never counted: that is how a
 * test kills a node mid-send deterministically.
 */
import type { AddressInfo } from "node:net";
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from "smtp-server";

export interface ReceivedMail {
  messageId: string;
  eventId: string;
  kind: string;
  to: string[];
  subject: string;
  raw: string;
}

export interface SmtpSink {
  readonly url: string;
  mails(): ReceivedMail[];
  /** The accepted mails of one event. */
  mailsOf(eventId: string): ReceivedMail[];
  hold(): void;
  /** The next `count` mails are refused with a temporary error (451), as a busy server does. */
  refuseNext(count: number): void;
  /** Mails read and not answered yet. */
  held(): number;
  /** Of those, the ones whose sender has gone (they will never count). */
  heldFromGone(): number;
  release(): void;
  stop(): Promise<void>;
}

/** Header values of a raw message, unfolded; names lowercased. */
function headersOf(raw: string): Map<string, string> {
  const head = raw.split(/\r?\n\r?\n/, 1)[0].replace(/\r?\n[ \t]+/g, " ");
  const headers = new Map<string, string>();
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const accepted: ReceivedMail[] = [];
  const closed = new Set<string>();
  let holding = false;
  let refusals = 0;
  let waiting: { mail: ReceivedMail; session: SMTPServerSession; answer: () => void }[] = [];

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (err?: Error | null) => void) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        const headers = headersOf(raw);
        const mail: ReceivedMail = {
          messageId: headers.get("message-id") ?? "",
          eventId: headers.get("x-shop-event-id") ?? "",
          kind: headers.get("x-shop-notification") ?? "",
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: headers.get("subject") ?? "",
          raw,
        };
        if (refusals > 0) {
          refusals--;
          return callback(Object.assign(new Error("Mailbox busy, try again later"), { responseCode: 451 }));
        }
        const answer = () => {
          accepted.push(mail);
          callback();
        };
        if (holding) waiting.push({ mail, session, answer });
        else answer();
      });
    },
    onClose(session: SMTPServerSession) {
      closed.add(session.id);
    },
  });
  // A sender killed mid-send resets its connection: nothing to report.
  server.on("error", () => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = (server as unknown as { server: { address(): AddressInfo } }).server.address();

  return {
    url: `smtp://127.0.0.1:${port}`,
    mails: () => [...accepted],
    mailsOf: (eventId) => accepted.filter((mail) => mail.eventId === eventId),
    hold() {
      holding = true;
    },
    refuseNext(count) {
      refusals = count;
    },
    held: () => waiting.length,
    heldFromGone: () => waiting.filter((entry) => closed.has(entry.session.id)).length,
    release() {
      holding = false;
      const due = waiting;
      waiting = [];
      for (const entry of due) if (!closed.has(entry.session.id)) entry.answer();
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
