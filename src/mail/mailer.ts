/**
 * Sending mail over SMTP with nodemailer, behind the small `Mailer` interface the use cases see.
 *
 * - Encrypted and verified: smtps:// is implicit TLS; smtp:// must upgrade with STARTTLS unless
 *   `allowPlaintext` (the config module allows that for loopback hosts only). The certificate is
 *   always verified (against `ca` alone when given, else the system's roots).
 * - Every failure becomes an AppError from the catalog (MAIL_*), with nodemailer's error as
 *   `cause` for the log. Messages and details hold at most the server's SMTP reply, never the
 *   mail body: the body carries the temporary password.
 * - No logging here: the caller logs the outcome (and the audit log records it).
 */
import nodemailer from 'nodemailer';
import type { NodemailerError, SMTPPoolOptions } from 'nodemailer';
import { AppError, isAppError } from '../errors/catalog.js';
import { UNREACHABLE_SOCKET_CODES } from '../errors/network.js';
import { parseMailAddress } from './address.js';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface SentMail {
  /** The Message-ID header value, angle brackets included, e.g. `<…@mijnsynergy.nl>`. */
  messageId: string;
  /** The server's final reply, e.g. `250 OK: queued as …`. */
  response: string;
  /**
   * The Message-ID the server gave the mail, when its reply names one (Microsoft 365, Amazon SES
   * replace the header, so the delivered copy carries this one instead of `messageId`).
   */
  serverMessageId?: string;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<SentMail>;
  /** Connects, greets and (with credentials) authenticates, then disconnects. */
  verify(): Promise<void>;
  close(): void;
}

export interface SmtpMailerOptions {
  /** smtp://[user:pass@]host[:port] (STARTTLS, port 587 by default) or smtps://… (implicit TLS, 465). */
  url: string;
  /** The From header, e.g. `Helpdesk <noreply@example.nl>`. */
  from: string;
  /** Trust only this CA (PEM) for the server certificate instead of the system's roots. */
  ca?: Buffer | string | undefined;
  /** smtp:// without STARTTLS is accepted. Only ever true for a loopback relay. */
  allowPlaintext: boolean;
  /** Connect, greeting and idle timeouts in ms (default 10 s). */
  timeoutMs?: number | undefined;
}

export const DEFAULT_MAIL_TIMEOUT_MS = 10_000;
/** SMTP replies in an error detail are cut to this length: they are for a person to read. */
const MAX_REPLY_LENGTH = 200;

interface SmtpEndpoint {
  secure: boolean;
  host: string;
  port: number;
  auth?: { user: string; pass: string };
}

/**
 * Parses the URL ourselves rather than handing it to nodemailer: nodemailer reads query
 * parameters such as `?tls.rejectUnauthorized=false` or `?ignoreTLS=true` from it, and lets them
 * override the options given next to it. Nothing in a URL may weaken the TLS settings, so a query
 * is refused. Errors name the setting but never echo the URL (it holds the SMTP password).
 */
function parseSmtpUrl(url: string): SmtpEndpoint {
  const invalid = (why: string): AppError => new AppError('CONFIG_INVALID', { detail: `mail server URL: ${why}` });
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // no cause: the TypeError carries the input, credentials included
    throw invalid('not a URL');
  }
  const secure = parsed.protocol === 'smtps:';
  if (!secure && parsed.protocol !== 'smtp:') throw invalid('must start with smtp:// or smtps://');
  if (parsed.search !== '' || parsed.hash !== '') throw invalid('query parameters are not supported');
  if (parsed.pathname !== '' && parsed.pathname !== '/') throw invalid('a path is not supported');
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw invalid('has no host');
  const port = parsed.port === '' ? (secure ? 465 : 587) : Number(parsed.port);

  const endpoint: SmtpEndpoint = { secure, host, port };
  if (parsed.username !== '' || parsed.password !== '') {
    try {
      endpoint.auth = { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) };
    } catch {
      throw invalid('the user name or password is not correctly percent-encoded');
    }
  }
  return endpoint;
}

export function createSmtpMailer(options: SmtpMailerOptions): Mailer {
  const endpoint = parseSmtpUrl(options.url);
  const timeout = options.timeoutMs ?? DEFAULT_MAIL_TIMEOUT_MS;

  const transportOptions: SMTPPoolOptions = {
    // A few connections kept open between mails (nodemailer's pool), so a mail does not wait for a
    // new connection's greeting and TLS handshake. One that the server closed while a mail was on
    // it is replaced and the mail sent once more on the new one; one idle for a while is closed.
    pool: true,
    maxConnections: 4,
    maxRequeues: 1,
    idleTimeout: 30_000,
    host: endpoint.host,
    port: endpoint.port,
    secure: endpoint.secure,
    // STARTTLS is still used when a server offers it, even where plaintext is allowed
    requireTLS: !endpoint.secure && !options.allowPlaintext,
    tls: {
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
    },
    ...(endpoint.auth ? { auth: endpoint.auth } : {}),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    dnsTimeout: timeout,
    // our messages have no attachments; make sure none could make nodemailer read a file or URL
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
    debug: false,
  };
  const transporter = nodemailer.createTransport(transportOptions);

  return {
    async send(mail: OutgoingMail): Promise<SentMail> {
      // re-checked here whatever the caller did: exactly one bare address, no header tricks
      const to = parseMailAddress(mail.to);
      let info;
      try {
        info = await transporter.sendMail({
          from: options.from,
          to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          // RFC 3834: tells the receiving side this is automated (no out-of-office replies)
          headers: { 'Auto-Submitted': 'auto-generated' },
        });
      } catch (error) {
        throw toMailError(error);
      }
      // one recipient, so nodemailer fails when it is refused; kept for a partial acceptance
      if (info.rejected.length > 0) {
        const first = info.rejectedErrors?.[0];
        throw first ? toMailError(first) : new AppError('MAIL_SEND_FAILED', { detail: 'recipient refused' });
      }
      return {
        messageId: info.messageId,
        response: info.response,
        ...(info.serverMessageId ? { serverMessageId: info.serverMessageId } : {}),
      };
    },

    async verify(): Promise<void> {
      try {
        await transporter.verify();
      } catch (error) {
        throw toMailError(error);
      }
    },

    close(): void {
      transporter.close();
    },
  };
}

/** OpenSSL / Node codes of a certificate or handshake failure (e.g. UNABLE_TO_VERIFY_LEAF_SIGNATURE). */
const TLS_CODE =
  /^(?:ERR_TLS_|ERR_SSL_|EPROTO$)|CERT|SELF_SIGNED|UNABLE_TO_(?:GET|VERIFY|DECRYPT|DECODE)|HOSTNAME_MISMATCH|INVALID_CA|INVALID_PURPOSE|PATH_LENGTH/;
/** Last resort for a socket error whose code was replaced: Node's messages for TLS failures. */
const TLS_MESSAGE = /certificate|self[- ]signed|\bTLS\b|\bSSL\b|handshake|wrong version number/i;
/** Node / nodemailer codes of a server that cannot be reached. */
const UNREACHABLE_CODES = new Set(['ECONNECTION', 'EDNS', 'ESOCKET', ...UNREACHABLE_SOCKET_CODES]);
/** Nodemailer codes of a server that answered but said no. */
const REFUSAL_CODES = new Set(['EENVELOPE', 'EMESSAGE', 'EAUTH', 'ENOAUTH', 'EPROTOCOL', 'EREQUIRETLS']);

/** The SMTP reply, one line, without control characters, cut to MAX_REPLY_LENGTH. */
function shortReply(response: string): string {
  const line = response.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return line.length > MAX_REPLY_LENGTH ? `${line.slice(0, MAX_REPLY_LENGTH - 1)}…` : line;
}

/** `550 5.1.1 User unknown` from the reply, or the bare code when there is no text. */
function replyDetail(responseCode: number | undefined, response: string | undefined): string | undefined {
  if (response !== undefined && response.trim() !== '') {
    const reply = shortReply(response);
    return responseCode !== undefined && !reply.startsWith(String(responseCode)) ? `${responseCode} ${reply}` : reply;
  }
  return responseCode !== undefined ? String(responseCode) : undefined;
}

/**
 * Maps an error from nodemailer (or Node's socket layer) to the catalog. Exported for tests.
 * Order matters: a refused STARTTLS carries a 5xx reply but is a TLS failure, and a TLS socket
 * error carries ESOCKET but is not an unreachable server.
 */
export function toMailError(error: unknown): AppError {
  if (isAppError(error)) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as Partial<NodemailerError>;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const originalCode = typeof e.originalCode === 'string' ? e.originalCode : undefined;
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const response = typeof e.response === 'string' ? e.response : undefined;
  const message = typeof e.message === 'string' ? e.message : '';

  // 1. TLS: STARTTLS refused or failed, the handshake failed, the certificate is not trusted
  const tlsCode = [originalCode, code].find((c) => c !== undefined && TLS_CODE.test(c));
  if (code === 'ETLS' || tlsCode !== undefined) {
    const detail = tlsCode ?? (responseCode !== undefined ? `STARTTLS ${replyDetail(responseCode, response)}` : undefined);
    return new AppError('MAIL_TLS_FAILED', { ...(detail ? { detail } : {}), cause: error });
  }
  if ((code === 'ESOCKET' || code === 'ECONNECTION') && responseCode === undefined && TLS_MESSAGE.test(message)) {
    return new AppError('MAIL_TLS_FAILED', { cause: error });
  }

  // 2. The server answered and refused (MAIL FROM, RCPT TO, DATA, AUTH, or a 421 goodbye)
  if (responseCode !== undefined && responseCode >= 400) {
    const detail = replyDetail(responseCode, response);
    return new AppError('MAIL_SEND_FAILED', { ...(detail ? { detail } : {}), cause: error });
  }

  // 3. Nobody answered: refused connection, unknown host, timeout, dropped connection
  if ((code !== undefined && UNREACHABLE_CODES.has(code)) || (originalCode !== undefined && UNREACHABLE_CODES.has(originalCode))) {
    return new AppError('MAIL_UNREACHABLE', { cause: error });
  }

  // 4. Refused without a reply code (missing credentials, no recipients, bad protocol)
  if (code !== undefined && REFUSAL_CODES.has(code)) {
    const detail = code === 'EAUTH' || code === 'ENOAUTH' ? 'authentication failed' : replyDetail(responseCode, response);
    return new AppError('MAIL_SEND_FAILED', { ...(detail ? { detail } : {}), cause: error });
  }

  // Anything else still means: this mail was not sent.
  return new AppError('MAIL_SEND_FAILED', { cause: error });
}
