/**
 * The local demo's mail server: a real SMTP server (`smtp-server`) on loopback that keeps every
 * message it receives, parsed with `mailparser`, in memory for the playground's outbox. Nothing is
 * relayed anywhere. Plaintext only (no STARTTLS offered): the bot reaches it with
 * `SMTP_URL=smtp://127.0.0.1:PORT` and `SMTP_ALLOW_PLAINTEXT=true`, which the config allows for
 * loopback hosts only.
 *
 * A message is parsed and kept before the server answers DATA, so once the bot's send has
 * resolved the mail is already in the outbox.
 */
import type { AddressInfo } from 'node:net';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { OutboxMail } from '../playground/playground.js';

export const DEFAULT_MAIL_CATCHER_PORT = 2525;

/** One caught mail: what the outbox shows, and its Message-ID. */
export interface CaughtMail extends OutboxMail {
  readonly messageId: string | null;
}

export interface MailCatcher {
  readonly port: number;
  /** `smtp://127.0.0.1:PORT`, for SMTP_URL. */
  readonly url: string;
  /** The caught mails, newest first. */
  mails(): readonly CaughtMail[];
  close(): Promise<void>;
}

export interface MailCatcherOptions {
  /** 2525 by default; 0 picks a free port. */
  readonly port?: number;
  /** The oldest mails are dropped beyond this many (default 500). */
  readonly keep?: number;
}

const MAX_MESSAGE_BYTES = 1024 * 1024;

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  const list = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return list.flatMap((group) => group.value).flatMap((entry) => (entry.address ? [entry.address] : []));
}

export async function startMailCatcher(options: MailCatcherOptions = {}): Promise<MailCatcher> {
  const keep = options.keep ?? 500;
  const caught: CaughtMail[] = [];
  let counter = 0;

  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    size: MAX_MESSAGE_BYTES,
    logger: false,
    banner: 'password-reset-bot demo mail catcher (nothing is delivered)',
    closeTimeout: 1_000,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (error: Error) => callback(error));
      stream.on('end', () => {
        if ((stream as { sizeExceeded?: boolean }).sizeExceeded) {
          callback(Object.assign(new Error('Message too large'), { responseCode: 552 }));
          return;
        }
        simpleParser(Buffer.concat(chunks)).then(
          (mail) => {
            const to = addresses(mail.to);
            caught.unshift({
              id: ++counter,
              receivedAt: new Date().toISOString(),
              from: mail.from?.text ?? (session.envelope.mailFrom ? session.envelope.mailFrom.address : ''),
              to: to.length > 0 ? to : session.envelope.rcptTo.map((r) => r.address),
              subject: mail.subject ?? '',
              text: mail.text ?? '',
              messageId: mail.messageId ?? null,
            });
            caught.splice(keep);
            callback(null, `OK: caught as ${counter}`);
          },
          (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
        );
      });
    },
  });

  // A client that breaks off its connection is no reason to stop.
  server.on('error', () => undefined);

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? DEFAULT_MAIL_CATCHER_PORT, '127.0.0.1', () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    mails: () => caught,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
