/**
 * A real SMTP server in the test process (`smtp-server`), every message parsed with `mailparser`.
 * Listens on 127.0.0.1 on a random port. Without `tls` it is plaintext only (no STARTTLS offered);
 * with `tls` it offers STARTTLS with that key/cert; with `secure: true` too, it is implicit TLS.
 *
 * A message is parsed and stored before the server answers DATA, so once a client's send has
 * resolved the message is already in `messages`.
 */
import type { AddressInfo, Socket } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export type { ParsedMail };

export interface TestSmtpServerOptions {
  /** Key and certificate (PEM) for STARTTLS, or for implicit TLS with `secure`. */
  tls?: { key: string | Buffer; cert: string | Buffer } | undefined;
  /** Implicit TLS (smtps://). Needs `tls`. */
  secure?: boolean | undefined;
  /** Only these credentials may log in, and logging in is required. Without it AUTH is optional and any login is accepted. */
  auth?: { user: string; pass: string } | undefined;
}

/** What the SMTP session said about a received message (the parsed headers may differ). */
export interface ReceivedEnvelope {
  from: string | undefined;
  to: string[];
  /** The session was encrypted (STARTTLS or implicit TLS) when the message arrived. */
  secure: boolean;
  /** The user name the client logged in with, if any. */
  user: string | undefined;
}

export interface TestSmtpServer {
  readonly port: number;
  /** `smtp://127.0.0.1:PORT` (`smtps://` with `secure`), with the credentials percent-encoded in it when given. */
  url(credentials?: { user: string; pass: string }): string;
  /** Parsed messages, in order of arrival. */
  readonly messages: ParsedMail[];
  /** The same messages as received on the wire (CRLF line ends, dot-unstuffed). */
  readonly rawMessages: string[];
  /** The SMTP envelope of each message, same order. */
  readonly envelopes: ReceivedEnvelope[];
  /** Errors the server emitted, e.g. a TLS handshake a client broke off because it did not trust the certificate. */
  readonly errors: Error[];
  /** The first message (already received or still to come) that matches; rejects after timeoutMs (default 5 s). */
  waitForMessage(predicate?: (mail: ParsedMail) => boolean, timeoutMs?: number): Promise<ParsedMail>;
  /**
   * From now on refuse each message with this SMTP reply code (and text): at DATA by default, or
   * at RCPT TO. `null` accepts messages again.
   */
  refuseWith(code: number | null, text?: string, stage?: 'data' | 'rcpt'): void;
  /** The raw messages refused at the DATA stage (the server saw them, then said no). */
  readonly refused: readonly string[];
  /** How many connections clients have opened so far. */
  readonly connectionsOpened: number;
  /** Ends every open client connection, as a server does with clients idle too long. */
  dropConnections(): void;
  close(): Promise<void>;
}

interface Refusal {
  code: number;
  text: string;
  stage: 'data' | 'rcpt';
}

interface Waiter {
  predicate: (mail: ParsedMail) => boolean;
  resolve: (mail: ParsedMail) => void;
}

function smtpError(refusal: Refusal): Error {
  return Object.assign(new Error(refusal.text), { responseCode: refusal.code });
}

export async function startTestSmtpServer(options: TestSmtpServerOptions = {}): Promise<TestSmtpServer> {
  const secure = options.secure === true;
  if (secure && !options.tls) throw new Error('startTestSmtpServer: secure needs tls (key and cert)');

  const messages: ParsedMail[] = [];
  const rawMessages: string[] = [];
  const envelopes: ReceivedEnvelope[] = [];
  const errors: Error[] = [];
  let waiters: Waiter[] = [];
  let refusal: Refusal | null = null;
  const refusedMessages: string[] = [];
  let counter = 0;

  const serverOptions: SMTPServerOptions = {
    secure,
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
    // without our own certificate the server would offer STARTTLS with its built-in one
    disabledCommands: options.tls ? [] : ['STARTTLS'],
    authOptional: options.auth === undefined,
    // loopback test server: AUTH also over plaintext, so plaintext-relay settings can be tested
    allowInsecureAuth: true,
    logger: false,
    banner: 'test SMTP server',
    closeTimeout: 1_000,
    onAuth(auth, _session, callback) {
      const expected = options.auth;
      if (expected && (auth.username !== expected.user || auth.password !== expected.pass)) {
        callback(Object.assign(new Error('Authentication failed'), { responseCode: 535 }));
        return;
      }
      callback(null, { user: auth.username });
    },
    onRcptTo(_address, _session, callback) {
      if (refusal?.stage === 'rcpt') {
        callback(smtpError(refusal));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (error: Error) => callback(error));
      stream.on('end', () => {
        if (refusal) {
          // a refusal set at RCPT stage never gets here; at DATA stage it refuses the message
          // (after the server has seen it: kept, so a test can check what it said)
          refusedMessages.push(Buffer.concat(chunks).toString('utf8'));
          callback(smtpError(refusal));
          return;
        }
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (mail) => {
            rawMessages.push(raw.toString('utf8'));
            messages.push(mail);
            const user: unknown = session.user;
            envelopes.push({
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
              to: session.envelope.rcptTo.map((r) => r.address),
              secure: session.secure,
              user: typeof user === 'string' ? user : undefined,
            });
            const stillWaiting: Waiter[] = [];
            for (const waiter of waiters) {
              if (waiter.predicate(mail)) waiter.resolve(mail);
              else stillWaiting.push(waiter);
            }
            waiters = stillWaiting;
            counter += 1;
            callback(null, `OK: queued as test-${counter}`);
          },
          (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
        );
      });
    },
  };

  const server = new SMTPServer(serverOptions);
  server.on('error', (error: Error) => errors.push(error));
  const sockets = new Set<Socket>();
  let connectionsOpened = 0;
  server.server.on('connection', (socket: Socket) => {
    connectionsOpened += 1;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;

  return {
    port,
    url(credentials) {
      const userinfo = credentials
        ? `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.pass)}@`
        : '';
      return `${secure ? 'smtps' : 'smtp'}://${userinfo}127.0.0.1:${port}`;
    },
    messages,
    rawMessages,
    envelopes,
    errors,
    waitForMessage(predicate = () => true, timeoutMs = 5_000) {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise<ParsedMail>((resolve, reject) => {
        const waiter: Waiter = {
          predicate,
          resolve: (mail) => {
            clearTimeout(timer);
            resolve(mail);
          },
        };
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== waiter);
          reject(new Error(`test SMTP server: no matching message within ${timeoutMs} ms (${messages.length} received)`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    refused: refusedMessages,
    get connectionsOpened() {
      return connectionsOpened;
    },
    dropConnections() {
      for (const socket of sockets) socket.destroy();
    },
    refuseWith(code, text, stage = 'data') {
      refusal =
        code === null
          ? null
          : { code, text: text ?? (code >= 500 ? 'Error: message refused' : 'Error: try again later'), stage };
    },
    close() {
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
