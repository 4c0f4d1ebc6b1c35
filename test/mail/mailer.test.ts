import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError, isAppError, type ErrorCode } from '../../src/errors/catalog.js';
import { createSmtpMailer, toMailError, type Mailer, type SmtpMailerOptions } from '../../src/mail/mailer.js';
import { renderPasswordMail } from '../../src/mail/templates.js';
import { startTestSmtpServer, type TestSmtpServer } from '../support/smtp-server.js';
import { makeTestCertificates, type TestCertificates } from '../support/tls.js';

const PASSWORD = 'Vx9#kR<2>&qL"m=Tz';
const FROM = 'Helpdesk <helpdesk@mijnsynergy.nl>';
const TO = 'joman.mus@mijnsynergy.nl';

const mail = renderPasswordMail({
  language: 'nl',
  displayName: 'Joman Mus',
  accountName: 'joman.mus@mijnsynergy.nl',
  password: PASSWORD,
  environmentName: 'Hosting',
  changePortalUrl: 'https://wachtwoord.mijnsynergy.nl/',
});

let dir: string;
let certs: TestCertificates;
let localhostOnly: TestCertificates;
let starttls: TestSmtpServer;
let implicit: TestSmtpServer;
let plain: TestSmtpServer;
const mailers: Mailer[] = [];

function mailer(options: Partial<SmtpMailerOptions> & { url: string }): Mailer {
  const m = createSmtpMailer({ from: FROM, allowPlaintext: false, timeoutMs: 5_000, ...options });
  mailers.push(m);
  return m;
}

/** The AppError a promise rejects with, checked to carry no password anywhere a person or log reads. */
async function failure(promise: Promise<unknown>, code: ErrorCode): Promise<AppError> {
  let thrown: unknown;
  try {
    await promise;
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected ${code}`).toBeInstanceOf(AppError);
  const error = thrown as AppError;
  expect(error.code).toBe(code);
  const readable = [
    error.message,
    error.detail ?? '',
    error.userMessage('nl'),
    error.userMessage('en'),
    String(error.cause),
    JSON.stringify(error),
  ].join('\n');
  expect(readable).not.toContain(PASSWORD);
  expect(readable).not.toContain('Vx9#');
  return error;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mail-test-'));
  certs = makeTestCertificates(join(dir, 'good'));
  localhostOnly = makeTestCertificates(join(dir, 'localhost-only'), { hosts: ['localhost'] });
  const tls = { key: certs.keyPem, cert: certs.certPem };
  [starttls, implicit, plain] = await Promise.all([
    startTestSmtpServer({ tls }),
    startTestSmtpServer({ tls, secure: true }),
    startTestSmtpServer(),
  ]);
});

afterEach(() => {
  starttls.refuseWith(null);
  for (const m of mailers.splice(0)) m.close();
});

afterAll(async () => {
  await Promise.all([starttls?.close(), implicit?.close(), plain?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('sending', () => {
  it('delivers over STARTTLS with the test CA', async () => {
    const sent = await mailer({ url: starttls.url(), ca: certs.caPem }).send({ to: TO, ...mail });

    const received = await starttls.waitForMessage((m) => m.messageId === sent.messageId);
    expect(sent.messageId).toMatch(/^<.+@.+>$/);
    expect(sent.response).toMatch(/^250 /);
    expect(received.subject).toBe('Uw tijdelijke wachtwoord voor Hosting');
    expect(received.text).toContain(PASSWORD);
    expect(received.text).toContain('https://wachtwoord.mijnsynergy.nl/');
    expect(received.html).toBeTypeOf('string');
    expect(received.html).toContain('Vx9#kR&lt;2&gt;&amp;qL&quot;m=Tz');
    expect(received.html).toContain('Joman Mus');
    expect(received.to && !Array.isArray(received.to) ? received.to.text : '').toBe(TO);
    expect(received.from?.value[0]?.address).toBe('helpdesk@mijnsynergy.nl');
    expect(received.headers.get('auto-submitted')).toBeTruthy();

    const envelope = starttls.envelopes[starttls.messages.indexOf(received)];
    expect(envelope).toEqual({ from: 'helpdesk@mijnsynergy.nl', to: [TO], secure: true, user: undefined });
  });

  it('keeps its connection between mails, and sends on a new one after the server ended it', async () => {
    const m = mailer({ url: starttls.url(), ca: certs.caPem });
    const before = starttls.connectionsOpened;
    const first = await m.send({ to: TO, ...mail });
    const second = await m.send({ to: TO, ...mail });
    await starttls.waitForMessage((x) => x.messageId === second.messageId);
    expect(starttls.connectionsOpened - before).toBe(1);

    // The server ends idle connections (as real ones do after a few minutes): the next mail still goes out.
    starttls.dropConnections();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const third = await m.send({ to: TO, ...mail });
    const received = await starttls.waitForMessage((x) => x.messageId === third.messageId);
    expect(received.text).toContain(PASSWORD);
    expect(starttls.connectionsOpened - before).toBe(2);
    expect(new Set([first.messageId, second.messageId, third.messageId]).size).toBe(3);
  });

  it('delivers over implicit TLS (smtps://)', async () => {
    const sent = await mailer({ url: implicit.url(), ca: certs.caPem }).send({ to: TO, ...mail });
    const received = await implicit.waitForMessage((m) => m.messageId === sent.messageId);
    expect(received.text).toContain(PASSWORD);
    expect(implicit.envelopes.at(-1)?.secure).toBe(true);
  });

  it('accepts a CA given as a Buffer', async () => {
    const sent = await mailer({ url: starttls.url(), ca: Buffer.from(certs.caPem) }).send({ to: TO, ...mail });
    await starttls.waitForMessage((m) => m.messageId === sent.messageId);
  });

  it('delivers in plaintext only when allowed (loopback relay)', async () => {
    const sent = await mailer({ url: plain.url(), allowPlaintext: true }).send({ to: TO, ...mail });
    await plain.waitForMessage((m) => m.messageId === sent.messageId);
    expect(plain.envelopes.at(-1)?.secure).toBe(false);
  });

  it('still uses STARTTLS where plaintext is allowed but the server offers it', async () => {
    const sent = await mailer({ url: starttls.url(), ca: certs.caPem, allowPlaintext: true }).send({ to: TO, ...mail });
    await starttls.waitForMessage((m) => m.messageId === sent.messageId);
    expect(starttls.envelopes.at(-1)?.secure).toBe(true);
  });

  it('re-checks the recipient before connecting', async () => {
    const before = starttls.messages.length;
    const m = mailer({ url: starttls.url(), ca: certs.caPem });
    await failure(m.send({ to: 'a@b.nl\r\nBcc: evil@x.nl', ...mail }), 'MAIL_ADDRESS_INVALID');
    await failure(m.send({ to: 'a@b.nl, evil@x.nl', ...mail }), 'MAIL_ADDRESS_INVALID');
    await failure(m.send({ to: 'Evil <evil@x.nl>', ...mail }), 'MAIL_ADDRESS_INVALID');
    expect(starttls.messages.length).toBe(before);
  });

  it('logs in with the credentials in the URL', async () => {
    const server = await startTestSmtpServer({ tls: { key: certs.keyPem, cert: certs.certPem }, auth: { user: 'relay@x.nl', pass: 'p@ss:w/rd' } });
    try {
      const ok = mailer({ url: server.url({ user: 'relay@x.nl', pass: 'p@ss:w/rd' }), ca: certs.caPem });
      await ok.verify();
      await ok.send({ to: TO, ...mail });
      expect(server.envelopes.at(-1)?.user).toBe('relay@x.nl');

      const wrong = mailer({ url: server.url({ user: 'relay@x.nl', pass: 'wrong' }), ca: certs.caPem });
      const error = await failure(wrong.send({ to: TO, ...mail }), 'MAIL_SEND_FAILED');
      expect(error.detail).toContain('535');
      expect(error.detail).not.toContain('wrong');
      await failure(wrong.verify(), 'MAIL_SEND_FAILED');
      expect(server.messages.length).toBe(1);
    } finally {
      await server.close();
    }
  });
});

describe('TLS', () => {
  it('refuses a server without STARTTLS when plaintext is not allowed: MAIL_TLS_FAILED', async () => {
    const before = plain.messages.length;
    const error = await failure(mailer({ url: plain.url() }).send({ to: TO, ...mail }), 'MAIL_TLS_FAILED');
    expect(error.detail).toMatch(/^STARTTLS 5\d\d/);
    expect(plain.messages.length).toBe(before);
  });

  it('refuses an untrusted certificate over STARTTLS (no ca given): MAIL_TLS_FAILED', async () => {
    const before = starttls.messages.length;
    await failure(mailer({ url: starttls.url() }).send({ to: TO, ...mail }), 'MAIL_TLS_FAILED');
    expect(starttls.messages.length).toBe(before);
  });

  it('refuses an untrusted certificate over implicit TLS: MAIL_TLS_FAILED', async () => {
    const before = implicit.messages.length;
    await failure(mailer({ url: implicit.url() }).send({ to: TO, ...mail }), 'MAIL_TLS_FAILED');
    expect(implicit.messages.length).toBe(before);
  });

  it('refuses a certificate signed by another CA: MAIL_TLS_FAILED', async () => {
    await failure(mailer({ url: starttls.url(), ca: localhostOnly.caPem }).send({ to: TO, ...mail }), 'MAIL_TLS_FAILED');
  });

  it('refuses a certificate for another host name: MAIL_TLS_FAILED', async () => {
    const server = await startTestSmtpServer({ tls: { key: localhostOnly.keyPem, cert: localhostOnly.certPem } });
    try {
      const error = await failure(
        mailer({ url: server.url(), ca: localhostOnly.caPem }).send({ to: TO, ...mail }),
        'MAIL_TLS_FAILED',
      );
      expect(error.detail).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
      expect(server.messages.length).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('refuses smtps:// to a plaintext server: MAIL_TLS_FAILED', async () => {
    await failure(mailer({ url: `smtps://127.0.0.1:${plain.port}` }).send({ to: TO, ...mail }), 'MAIL_TLS_FAILED');
  });

  it('verify() checks the certificate too', async () => {
    await mailer({ url: starttls.url(), ca: certs.caPem }).verify();
    await failure(mailer({ url: starttls.url() }).verify(), 'MAIL_TLS_FAILED');
    await failure(mailer({ url: plain.url() }).verify(), 'MAIL_TLS_FAILED');
  });
});

describe('unreachable', () => {
  it('nothing listening: MAIL_UNREACHABLE', async () => {
    const port = await closedPort();
    const m = mailer({ url: `smtp://127.0.0.1:${port}` });
    await failure(m.send({ to: TO, ...mail }), 'MAIL_UNREACHABLE');
    await failure(m.verify(), 'MAIL_UNREACHABLE');
  });

  it('a server that never greets: MAIL_UNREACHABLE after the timeout', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const started = Date.now();
      await failure(mailer({ url: `smtp://127.0.0.1:${port}`, timeoutMs: 300 }).send({ to: TO, ...mail }), 'MAIL_UNREACHABLE');
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('an unknown host name: MAIL_UNREACHABLE', async () => {
    await failure(mailer({ url: 'smtp://mail.does-not-exist.invalid:25', timeoutMs: 3_000 }).send({ to: TO, ...mail }), 'MAIL_UNREACHABLE');
  });
});

describe('server refusals', () => {
  it('refuseWith(550) at DATA: MAIL_SEND_FAILED with the code in the detail', async () => {
    starttls.refuseWith(550, 'Message rejected as spam');
    const before = starttls.messages.length;
    const error = await failure(mailer({ url: starttls.url(), ca: certs.caPem }).send({ to: TO, ...mail }), 'MAIL_SEND_FAILED');
    expect(error.detail).toContain('550');
    expect(error.detail).toContain('Message rejected as spam');
    expect(error.userMessage('nl')).toBe('De mailserver weigerde de mail. (550 Message rejected as spam)');
    expect(error.cause).toBeInstanceOf(Error);
    expect(starttls.messages.length).toBe(before);
  });

  it('refuseWith(450) at RCPT: MAIL_SEND_FAILED with 450', async () => {
    starttls.refuseWith(450, 'Mailbox busy', 'rcpt');
    const error = await failure(mailer({ url: starttls.url(), ca: certs.caPem }).send({ to: TO, ...mail }), 'MAIL_SEND_FAILED');
    expect(error.detail).toMatch(/^450 /);
  });

  it('refuseWith(null) accepts again', async () => {
    starttls.refuseWith(554);
    starttls.refuseWith(null);
    await mailer({ url: starttls.url(), ca: certs.caPem }).send({ to: TO, ...mail });
  });

  it('cuts a long server reply to about 200 characters', async () => {
    starttls.refuseWith(552, `Too big ${'x'.repeat(400)}`);
    const error = await failure(mailer({ url: starttls.url(), ca: certs.caPem }).send({ to: TO, ...mail }), 'MAIL_SEND_FAILED');
    expect(error.detail?.startsWith('552 Too big')).toBe(true);
    expect(error.detail?.length).toBeLessThanOrEqual(200);
  });
});

describe('configuration', () => {
  it.each([
    ['query parameters that could weaken TLS', 'smtp://u:s3cret@mail.example.nl?tls.rejectUnauthorized=false'],
    ['another scheme', 'http://u:s3cret@mail.example.nl'],
    ['not a URL', 'u:s3cret at mail'],
    ['a path', 'smtp://u:s3cret@mail.example.nl/x'],
  ])('refuses a URL with %s, without echoing it', (_label, url) => {
    let thrown: unknown;
    try {
      createSmtpMailer({ url, from: FROM, allowPlaintext: false });
    } catch (error) {
      thrown = error;
    }
    expect(isAppError(thrown, 'CONFIG_INVALID')).toBe(true);
    expect((thrown as AppError).message).not.toContain('s3cret');
    expect((thrown as AppError).cause).toBeUndefined();
  });
});

describe('toMailError', () => {
  const err = (props: Record<string, unknown>): Error => Object.assign(new Error(String(props['message'] ?? 'x')), props);

  it.each<[string, Record<string, unknown>, ErrorCode, string | undefined]>([
    ['STARTTLS refused', { code: 'ETLS', response: '502 5.5.1 Unrecognized command', responseCode: 502 }, 'MAIL_TLS_FAILED', 'STARTTLS 502 5.5.1 Unrecognized command'],
    ['cert via originalCode', { code: 'ESOCKET', originalCode: 'SELF_SIGNED_CERT_IN_CHAIN' }, 'MAIL_TLS_FAILED', 'SELF_SIGNED_CERT_IN_CHAIN'],
    ['expired cert', { code: 'ESOCKET', originalCode: 'CERT_HAS_EXPIRED' }, 'MAIL_TLS_FAILED', 'CERT_HAS_EXPIRED'],
    ['TLS message only', { code: 'ESOCKET', message: 'unable to verify the first certificate' }, 'MAIL_TLS_FAILED', undefined],
    ['refused', { code: 'ESOCKET', originalCode: 'ECONNREFUSED' }, 'MAIL_UNREACHABLE', undefined],
    ['dns', { code: 'EDNS', originalCode: 'ENOTFOUND' }, 'MAIL_UNREACHABLE', undefined],
    ['timeout', { code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT' }, 'MAIL_UNREACHABLE', undefined],
    ['closed', { code: 'ECONNECTION' }, 'MAIL_UNREACHABLE', undefined],
    ['421 goodbye', { code: 'ECONNECTION', response: '421 Service not available', responseCode: 421 }, 'MAIL_SEND_FAILED', '421 Service not available'],
    ['multi-line', { code: 'EENVELOPE', response: '550-First line\r\n550 Second line', responseCode: 550 }, 'MAIL_SEND_FAILED', '550-First line 550 Second line'],
    ['auth without reply', { code: 'EAUTH', message: 'Missing credentials for "PLAIN"' }, 'MAIL_SEND_FAILED', 'authentication failed'],
    ['unknown', { code: 'EWHATEVER' }, 'MAIL_SEND_FAILED', undefined],
  ])('%s', (_label, props, code, detail) => {
    const original = err(props);
    const mapped = toMailError(original);
    expect(mapped.code).toBe(code);
    expect(mapped.detail).toBe(detail);
    expect(mapped.cause).toBe(original);
  });

  it('passes an AppError through and maps a non-error', () => {
    const app = new AppError('MAIL_ADDRESS_INVALID');
    expect(toMailError(app)).toBe(app);
    expect(toMailError('boom').code).toBe('MAIL_SEND_FAILED');
  });
});
