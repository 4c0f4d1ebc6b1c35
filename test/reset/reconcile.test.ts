/**
 * Every directory change is audited, whatever happens: the intent carries the account's password
 * version, a modify without an answer is `unknown` (never failed), and reconciliation records what
 * the directory really did (`applied` / `not-applied`), against the real test DC.
 */
import { ConstraintViolationError, InsufficientAccessError } from 'ldapts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry, AuditLog } from '../../src/audit/audit-log.js';
import type { Core } from '../../src/core.js';
import type { Directory, DirectoryConnection } from '../../src/directory/directory.js';
import { passwordSetTime } from '../../src/directory/ldap-directory.js';
import { toModifyError } from '../../src/directory/ldap-errors.js';
import { reconcileOpenIntents, type ReconcileDeps } from '../../src/reset/reconcile.js';
import { mailPassword, resetPassword, ResetOutcomeUnknownError, type Admin, type ResetDeps } from '../../src/reset/reset-password.js';
import { caught } from '../support/errors.js';
import { bindResult, restoreSeedPassword } from '../support/directory.js';
import { HOSTING, SEED_PASSWORD } from '../support/fixtures.js';
import { resetAsServiceAccount } from '../support/guards.js';
import { adminOf, everythingUnder, startHarness, type Harness } from '../support/harness.js';
import { passwordStateOf, pauseDcAtNextModify, withDcStopped } from './pause-dc.js';

const LDAP_TIMEOUT_MS = 1000;
let h: Harness;
let admin: Admin;

beforeAll(async () => {
  h = await startHarness({ LDAP_TIMEOUT_MS: String(LDAP_TIMEOUT_MS) });
  admin = await adminOf(h, HOSTING.admin);
});

afterEach(async () => {
  for (const person of [HOSTING.jmus, HOSTING.info, HOSTING.avries, HOSTING.bjansen]) await restoreSeedPassword(person.dn);
});

afterAll(async () => {
  await h?.close();
});

/** The reconciliation as core runs it, seen from `minutesLater` minutes on (past the grace period). */
function reconciler(minutesLater = 10): ReconcileDeps {
  return { directory: h.core.directory, audit: h.core.audit, log: h.core.log, reconcileGraceMs: h.core.reconcileGraceMs, clock: () => new Date(Date.now() + minutesLater * 60_000) };
}

async function entriesOf(correlationId: string, sam: string): Promise<AuditEntry[]> {
  return (await h.core.audit.recent({ targetSam: sam, limit: 50 })).filter((e) => e.correlationId === correlationId).reverse();
}

/** Methods of `target` with some replaced; the rest still bound to it (classes keep their `this`). */
function replacing<T extends object>(target: T, replaced: Partial<Record<keyof T, unknown>>): T {
  return new Proxy(target, {
    get(t, key) {
      if (Object.hasOwn(replaced, key)) return replaced[key as keyof T];
      const value: unknown = Reflect.get(t, key, t);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(t) : value;
    },
  });
}

const died = new Error('the process died here (simulated)');

/** What a promise rejects with (anything); fails the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('it resolved'),
    (e: unknown) => e,
  );
}

/** True when the "process" died in the action (the connection wrapper hands the error on as its cause). */
async function diedIn(promise: Promise<unknown>): Promise<boolean> {
  const error = await rejection(promise);
  return error === died || (error instanceof Error && error.cause === died);
}

/**
 * The core as a process killed right after the intent reached the disk: the modify is never sent
 * (unless `modifySent`, then it is, and the process dies before anything more is written).
 */
function dyingAfterIntent(core: Core, options: { modifySent: boolean }): ResetDeps & { readonly correlationId: () => string | undefined } {
  let correlationId: string | undefined;
  const audit: AuditLog = {
    ...core.audit,
    async record(entry) {
      if (correlationId !== undefined) throw died;
      const recorded = await core.audit.record(entry);
      if (entry.outcome === 'intent') correlationId = entry.correlationId ?? undefined;
      return recorded;
    },
  };
  const directory: Directory = options.modifySent
    ? core.directory
    : replacing(core.directory, {
        withConnection: <T>(work: (c: DirectoryConnection) => Promise<T>) =>
          core.directory.withConnection((c) => work(replacing(c, { setTemporaryPassword: () => Promise.reject(died) }))),
      });
  return { ...core, audit, directory, correlationId: () => correlationId };
}

describe('the intent', () => {
  it('carries the password version read just before the change, and the change raises it', async () => {
    const before = await passwordStateOf(HOSTING.jmus.dn);
    const { password, audited } = await resetPassword(admin, h.hosting, { reference: 'jmus' }, h.core);
    await audited;
    const [latest, previous] = await h.core.audit.recent({ targetSam: 'sbf_jmus', limit: 2 });
    expect(previous).toMatchObject({ action: 'reset', outcome: 'intent', keyVersion: before.keyVersion, pwdLastSet: before.pwdLastSet });
    expect(latest).toMatchObject({ action: 'reset', outcome: 'success', correlationId: previous?.correlationId });
    // The service account reads msDS-KeyVersionNumber, and every password set raises it.
    expect((await passwordStateOf(HOSTING.jmus.dn)).keyVersion).toBe(before.keyVersion + 1);
    expect(await h.core.directory.passwordVersion(latest!.target!.guid!)).toMatchObject({ keyVersion: before.keyVersion + 1, pwdLastSet: '0' });
    expect(JSON.stringify([latest, previous])).not.toContain(password);
  });
});

describe('reconciliation of intents without an outcome (a crash)', () => {
  it('records applied when the change reached the directory (applied directly as the service account)', async () => {
    const dying = dyingAfterIntent(h.core, { modifySent: false });
    expect(await diedIn(resetPassword(admin, h.hosting, { reference: 'jmus' }, dying))).toBe(true);
    const correlationId = dying.correlationId()!;
    expect((await entriesOf(correlationId, 'sbf_jmus')).map((e) => e.outcome)).toEqual(['intent']);
    expect((await h.core.audit.openIntents(new Date(Date.now() + 60_000))).map((e) => e.correlationId)).toContain(correlationId);

    // The modify the dead process had sent, as the service account sends it.
    await resetAsServiceAccount(HOSTING.jmus.dn, 'Applied-Directly-2026!x');
    const summary = await reconcileOpenIntents(reconciler());
    expect(summary.applied).toBeGreaterThanOrEqual(1);
    const entries = await entriesOf(correlationId, 'sbf_jmus');
    expect(entries.map((e) => e.outcome)).toEqual(['intent', 'applied']);
    expect(entries[1]).toMatchObject({ action: 'reset', keyVersion: entries[0]!.keyVersion! + 1, pwdLastSet: '0', admin: entries[0]!.admin, target: entries[0]!.target });
    expect(entries[1]?.detail).toMatch(/reconciled: msDS-KeyVersionNumber rose/);
    expect((await h.core.audit.openIntents(new Date(Date.now() + 60_000))).map((e) => e.correlationId)).not.toContain(correlationId);
  });

  it('records not-applied when the change never left, and the old password still works', async () => {
    const dying = dyingAfterIntent(h.core, { modifySent: false });
    expect(await diedIn(resetPassword(admin, h.hosting, { reference: 'sbf_info' }, dying))).toBe(true);
    const correlationId = dying.correlationId()!;
    await reconcileOpenIntents(reconciler());
    const entries = await entriesOf(correlationId, 'sbf_info');
    expect(entries.map((e) => e.outcome)).toEqual(['intent', 'not-applied']);
    expect(entries[1]?.keyVersion).toBe(entries[0]?.keyVersion);
    expect(await bindResult(HOSTING.info.upn, SEED_PASSWORD)).toBe('ok');
  });

  it('records applied when the process died after the modify, before the outcome was written', async () => {
    const dying = dyingAfterIntent(h.core, { modifySent: true });
    // The outcome write fails after the modify: the use case keeps the password and logs the audit failure.
    const { password } = await resetPassword(admin, h.hosting, { reference: 'sbf_avries' }, dying);
    const correlationId = dying.correlationId()!;
    expect((await entriesOf(correlationId, 'sbf_avries')).map((e) => e.outcome)).toEqual(['intent']);
    await reconcileOpenIntents(reconciler());
    expect((await entriesOf(correlationId, 'sbf_avries')).map((e) => e.outcome)).toEqual(['intent', 'applied']);
    expect(await bindResult(HOSTING.avries.upn, password)).toBe('773');
  });

  it('leaves an intent younger than the grace period (2 × LDAP_TIMEOUT_MS) alone: its change may still be on its way', async () => {
    expect(h.core.reconcileGraceMs).toBe(2 * LDAP_TIMEOUT_MS);
    const dying = dyingAfterIntent(h.core, { modifySent: false });
    expect(await diedIn(resetPassword(admin, h.hosting, { reference: 'sbf_bjansen' }, dying))).toBe(true);
    const correlationId = dying.correlationId()!;
    await reconcileOpenIntents({ ...reconciler(), clock: () => new Date() });
    expect((await entriesOf(correlationId, 'sbf_bjansen')).map((e) => e.outcome)).toEqual(['intent']);
    await reconcileOpenIntents(reconciler());
    expect((await entriesOf(correlationId, 'sbf_bjansen')).map((e) => e.outcome)).toEqual(['intent', 'not-applied']);
  });

  it('judges an intent of an earlier version (no version recorded) by when the password was last set', async () => {
    const person = (await h.core.directory.resolvePeople(h.hosting, 'sbf_jmus'))[0]!;
    const intent = (correlationId: string) => ({
      environment: 'hosting',
      admin: { dn: HOSTING.admin.dn, upn: HOSTING.admin.upn, teamsId: null },
      target: { dn: person.dn, sam: person.sam, guid: person.guid },
      action: 'reset' as const,
      outcome: 'intent' as const,
      correlationId,
    });
    // Whole seconds on the DC's clock: the set must come in a later second than the intent.
    await new Promise((r) => setTimeout(r, 1100));
    await h.core.audit.record(intent('00000000-0000-4000-8000-00000000a001'));
    await new Promise((r) => setTimeout(r, 1100));
    await resetAsServiceAccount(HOSTING.jmus.dn, 'Applied-Directly-2026!y');
    await new Promise((r) => setTimeout(r, 1100));
    await h.core.audit.record(intent('00000000-0000-4000-8000-00000000a002'));
    await reconcileOpenIntents(reconciler());
    expect((await entriesOf('00000000-0000-4000-8000-00000000a001', 'sbf_jmus')).map((e) => e.outcome)).toEqual(['intent', 'applied']);
    expect((await entriesOf('00000000-0000-4000-8000-00000000a002', 'sbf_jmus')).map((e) => e.outcome)).toEqual(['intent', 'not-applied']);
  });
});

describe('a DC that hangs during the modify, then resumes (SIGSTOP longer than LDAP_TIMEOUT_MS, then SIGCONT)', () => {
  it('is unknown (never failed), and reconciliation afterwards records what the DC really did', async () => {
    const before = await passwordStateOf(HOSTING.jmus.dn);
    const pause = pauseDcAtNextModify(HOSTING.jmus.dn, 2.5 * LDAP_TIMEOUT_MS);
    let error: unknown;
    try {
      error = await rejection(resetPassword(admin, h.hosting, { reference: 'jmus' }, h.core));
      await pause.resumed;
    } finally {
      pause.resume();
    }
    // The admin's side: "unknown", with who and which action, and no password.
    expect(error).toBeInstanceOf(ResetOutcomeUnknownError);
    const unknown = error as ResetOutcomeUnknownError;
    expect(unknown.code).toBe('DIRECTORY_OUTCOME_UNKNOWN');
    expect(unknown.person.dn).toBe(HOSTING.jmus.dn);
    expect(unknown.userMessage('en')).toBe('The directory did not answer in time: the password may or may not have been changed. Check again.');
    const sent = pause.password();
    expect(sent).toMatch(/^[A-Za-z0-9]{4}(-[A-Za-z0-9]{4}){3}$/);
    expect(JSON.stringify(unknown)).not.toContain(sent);

    // The audit: the intent and `unknown`, nothing "failed"; the intent stays open.
    const recorded = await entriesOf(unknown.correlationId, 'sbf_jmus');
    expect(recorded.map((e) => [e.action, e.outcome, e.errorCode ?? null])).toEqual([
      ['reset', 'intent', null],
      ['reset', 'unknown', 'DIRECTORY_OUTCOME_UNKNOWN'],
    ]);
    expect(recorded[0]?.keyVersion).toBe(before.keyVersion);
    expect((await h.core.audit.openIntents(new Date(Date.now() + 60_000))).map((e) => e.correlationId)).toContain(unknown.correlationId);

    // What the DC really did once it ran again, seen without the product.
    await new Promise((r) => setTimeout(r, 500));
    const after = await passwordStateOf(HOSTING.jmus.dn);
    const applied = after.keyVersion > before.keyVersion;
    console.info(`the paused DC ${applied ? 'applied' : 'did not apply'} the modify after it resumed`);
    if (applied) {
      // Set, with the forced change, and never shown to anyone: not lost, just unseen.
      expect(after.pwdLastSet).toBe('0');
      expect(await bindResult(HOSTING.jmus.upn, sent!)).toBe('773');
    } else {
      expect(await bindResult(HOSTING.jmus.upn, SEED_PASSWORD)).toBe('ok');
    }

    await reconcileOpenIntents(reconciler());
    const settled = await entriesOf(unknown.correlationId, 'sbf_jmus');
    expect(settled.map((e) => e.outcome)).toEqual(['intent', 'unknown', applied ? 'applied' : 'not-applied']);
    expect(settled[2]?.keyVersion).toBe(after.keyVersion);

    // Nothing written anywhere holds the password that was sent.
    expect(everythingUnder(h.dataDir) + h.logs.join('\n')).not.toContain(sent);
  });

  it('during Mail password: unknown, no mail sent (nobody gets that password), and reconciled', async () => {
    const mailsBefore = h.smtp.messages.length;
    const pause = pauseDcAtNextModify(HOSTING.info.dn, 2.5 * LDAP_TIMEOUT_MS);
    let error: unknown;
    try {
      error = await rejection(mailPassword(admin, h.hosting, { reference: 'sbf_info' }, HOSTING.info.mail!, 'en', h.core));
      await pause.resumed;
    } finally {
      pause.resume();
    }
    expect(error).toBeInstanceOf(ResetOutcomeUnknownError);
    const { correlationId } = error as ResetOutcomeUnknownError;
    expect(h.smtp.messages.length).toBe(mailsBefore);
    await new Promise((r) => setTimeout(r, 500));
    const applied = (await bindResult(HOSTING.info.upn, pause.password()!)) === '773';
    await reconcileOpenIntents(reconciler());
    expect((await entriesOf(correlationId, 'sbf_info')).map((e) => [e.action, e.outcome])).toEqual([
      ['mail', 'intent'],
      ['reset', 'unknown'],
      ['reset', applied ? 'applied' : 'not-applied'],
    ]);
    expect(everythingUnder(h.dataDir) + h.logs.join('\n')).not.toContain(pause.password());
  });

  it('is a plain failure, with nothing changed, when the DC hangs before anything is sent', async () => {
    const error = await caught(withDcStopped(() => resetPassword(admin, h.hosting, { reference: 'sbf_info' }, h.core)));
    expect(error).not.toBeInstanceOf(ResetOutcomeUnknownError);
    expect(error.code).toBe('DIRECTORY_UNREACHABLE');
    expect(await bindResult(HOSTING.info.upn, SEED_PASSWORD)).toBe('ok');
  });
});

describe('a failed modify', () => {
  it.each([
    ['ModifyRequest: Operation timed out', 'DIRECTORY_OUTCOME_UNKNOWN'],
    ['Connection closed before message response was received. Message type: ModifyRequest (0x66)', 'DIRECTORY_OUTCOME_UNKNOWN'],
    ['Socket error. Message type: ModifyRequest (0x66)\nread ECONNRESET', 'DIRECTORY_OUTCOME_UNKNOWN'],
    // ldapts refuses to send on a connection already gone: nothing left, nothing applied.
    ['Socket connection not established', 'DIRECTORY_UNREACHABLE'],
  ])('"%s" is %s', (message, code) => {
    expect(toModifyError(new Error(message)).code).toBe(code);
  });

  it("is what the directory said when it answered: the change was not applied", () => {
    expect(toModifyError(new ConstraintViolationError('0000052D: Constraint violation - the password is too short.')).code).toBe('DIRECTORY_POLICY_VIOLATION');
    expect(toModifyError(new InsufficientAccessError('00002098: insufficient rights')).code).toBe('DIRECTORY_INSUFFICIENT_RIGHTS');
  });
});

describe('passwordSetTime (replPropertyMetaData)', () => {
  it("reads unicodePwd's originating time and is null for anything else", () => {
    const blob = Buffer.alloc(16 + 2 * 48);
    blob.writeUInt32LE(1, 0);
    blob.writeUInt32LE(2, 8);
    blob.writeUInt32LE(0x90060, 16); // pwdLastSet
    blob.writeUInt32LE(0x9005a, 64); // unicodePwd
    blob.writeUInt32LE(5, 68);
    blob.writeBigUInt64LE(11_644_473_600n + 1_795_000_000n, 72);
    expect(passwordSetTime(blob)).toEqual(new Date(1_795_000_000_000));
    expect(passwordSetTime(undefined)).toBeNull();
    expect(passwordSetTime(blob.subarray(0, 70))).toBeNull();
    const other = Buffer.from(blob);
    other.writeUInt32LE(2, 0); // another version of the blob
    expect(passwordSetTime(other)).toBeNull();
  });
});
