/**
 * The state contract: the same cases against every implementation (test/state/subjects.ts), the
 * embedded one and PostgreSQL. `a` and `b` are two instances on the same state where the store
 * may be shared (PostgreSQL: two pools, as two bot processes behind a load balancer would have);
 * the embedded store belongs to one process, so there `b` is `a`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry, AuditRecordInput } from '../../src/audit/audit-log.js';
import type { NonceBinding } from '../../src/auth/nonce-store.js';
import type { AdminSession } from '../../src/auth/session-store.js';
import { PORTAL_LIMITS, type LinkGrant } from '../../src/state/portal.js';
import { caught } from '../support/errors.js';
import { embeddedSubject, postgresSubject, type Instance, type InstanceOptions, type Subject } from './subjects.js';

const subjects: Subject[] = [embeddedSubject(), postgresSubject('contract')];

describe.each(subjects)('state contract: $name', (subject) => {
  let now: Date;
  const clock = (): Date => now;
  const at = (iso: string): void => {
    now = new Date(iso);
  };
  const later = (minutes: number): void => {
    now = new Date(now.getTime() + minutes * 60_000);
  };
  let a: Instance;
  let b: Instance;
  const open = (options?: InstanceOptions): Promise<Instance> => subject.open(clock, options);

  beforeAll(() => subject.setUp());
  afterAll(() => subject.tearDown());
  beforeEach(async () => {
    await subject.reset();
    at('2026-02-10T12:00:00.000Z');
    a = await open();
    b = subject.shared ? await open() : a;
  });
  afterEach(async () => {
    await a.close();
    if (b !== a) await b.close();
  });

  describe('sessions', () => {
    const admin = {
      dn: 'CN=Helpdesk,OU=Acme,DC=corp,DC=test',
      guid: '0b5e7a4c-1111-4222-8333-444455556666',
      upn: 'helpdesk@acme.test',
      sam: 'sbf_helpdesk',
      displayName: 'Helpdesk',
      pwdLastSet: '134000000000000000',
    };
    const input = (aadObjectId = 'user-1'): Omit<AdminSession, 'createdAt' | 'expiresAt'> => ({
      teamsTenantId: 'tenant-a',
      aadObjectId,
      admin,
      tenantKeys: ['acme', 'beta'],
      activeTenantKey: null,
    });

    it('starts, gets, chooses an environment and ends a session, seen alike by every instance', async () => {
      expect(await a.sessions.get('tenant-a', 'user-1')).toBeNull();
      const started = await a.sessions.start(input());
      expect(started).toEqual({ ...input(), createdAt: '2026-02-10T12:00:00.000Z', expiresAt: '2026-02-10T13:00:00.000Z' });
      expect(await b.sessions.get('tenant-a', 'user-1')).toEqual(started);
      expect(await a.sessions.get('tenant-b', 'user-1')).toBeNull(); // keyed by Teams tenant and user
      expect(await a.sessions.get('tenant-a', 'user-2')).toBeNull();

      expect(await b.sessions.setActiveTenant('tenant-a', 'user-1', 'beta')).toEqual({ ...started, activeTenantKey: 'beta' });
      expect((await a.sessions.get('tenant-a', 'user-1'))?.activeTenantKey).toBe('beta');

      await a.sessions.end('tenant-a', 'user-1');
      expect(await b.sessions.get('tenant-a', 'user-1')).toBeNull();
      expect(await b.sessions.setActiveTenant('tenant-a', 'user-1', 'acme')).toBeNull();
      await b.sessions.end('tenant-a', 'user-1'); // no error without a session
    });

    it('refuses an environment the admin does not manage, and leaves the session as it was', async () => {
      await a.sessions.start(input());
      expect((await caught(b.sessions.setActiveTenant('tenant-a', 'user-1', 'other'))).code).toBe('AUTH_NOT_ADMIN');
      expect((await a.sessions.get('tenant-a', 'user-1'))?.activeTenantKey).toBeNull();
    });

    it('refuses a malformed session, and keeps only the known fields of the admin', async () => {
      expect((await caught(a.sessions.start({ ...input(), activeTenantKey: 'other' }))).code).toBe('INPUT_INVALID');
      expect((await caught(a.sessions.start({ ...input(), aadObjectId: '' }))).code).toBe('INPUT_INVALID');
      expect((await caught(a.sessions.start({ ...input(), admin: { ...admin, guid: 'not-a-guid' } }))).code).toBe('INPUT_INVALID');
      expect(await a.sessions.get('tenant-a', '')).toBeNull();

      const extra = { ...input(), admin: { ...admin, password: 'Secret-123!' } } as Omit<AdminSession, 'createdAt' | 'expiresAt'>;
      await a.sessions.start(extra);
      expect((await b.sessions.get('tenant-a', 'user-1'))?.admin).toEqual(admin);
      expect(await subject.dump()).not.toContain('Secret-123!');
    });

    it('a new start replaces the previous session of the same user, from either instance', async () => {
      await a.sessions.start(input());
      await a.sessions.setActiveTenant('tenant-a', 'user-1', 'acme');
      later(30);
      const again = await b.sessions.start({ ...input(), tenantKeys: ['beta', 'beta'] });
      expect(again).toMatchObject({ tenantKeys: ['beta'], activeTenantKey: null, createdAt: '2026-02-10T12:30:00.000Z' });
      expect(await a.sessions.get('tenant-a', 'user-1')).toEqual(again);
    });

    it('ends a session at its expiry, absolute from the start', async () => {
      await a.sessions.start(input());
      later(30);
      await a.sessions.setActiveTenant('tenant-a', 'user-1', 'acme'); // choosing does not extend it
      at('2026-02-10T12:59:59.999Z');
      expect(await b.sessions.get('tenant-a', 'user-1')).not.toBeNull();
      at('2026-02-10T13:00:00.000Z');
      expect(await b.sessions.get('tenant-a', 'user-1')).toBeNull();
      expect(await a.sessions.setActiveTenant('tenant-a', 'user-1', 'acme')).toBeNull();
      await a.sessions.start(input('user-2')); // a write after expiry leaves no trace of user-1
      expect(await a.sessions.get('tenant-a', 'user-1')).toBeNull();
    });

    it('an instance with a shorter TTL treats older sessions as expired', async () => {
      const started = await a.sessions.start(input());
      expect(await (await open({ sessionTtlMinutes: 60 })).sessions.get('tenant-a', 'user-1')).toEqual(started);
      const shorter = await open({ sessionTtlMinutes: 30 });
      expect(await shorter.sessions.get('tenant-a', 'user-1')).toBeNull();
      expect(await shorter.sessions.setActiveTenant('tenant-a', 'user-1', 'acme')).toBeNull();
    });

    it('keeps every one of 20 concurrent starts from every instance', async () => {
      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).sessions.start(input(`user-${i}`))));
      const found = await Promise.all(Array.from({ length: 20 }, (_, i) => a.sessions.get('tenant-a', `user-${i}`)));
      expect(found.map((s) => s?.aadObjectId)).toEqual(Array.from({ length: 20 }, (_, i) => `user-${i}`));
    });
  });

  describe('confirmations', () => {
    const binding: NonceBinding = {
      teamsTenantId: 'tenant-a',
      aadObjectId: 'user-1',
      adminDn: 'CN=Helpdesk,OU=Acme,DC=corp,DC=test',
      tenantKey: 'acme',
      targetGuid: '6f1c1c36-0d3e-4d4e-9a57-1c1f5f0c2a11',
      purpose: 'reset',
    };
    const issueOne = async (on: Instance = a, bound: NonceBinding = binding): Promise<string> => {
      const [token] = await on.confirmations.issue([bound]);
      if (token === undefined) throw new Error('no token');
      return token;
    };

    it('issues distinct tokens, in order, each bound to its own binding', async () => {
      const bindings = Array.from({ length: 20 }, (_, i) => ({ ...binding, targetGuid: `guid-${i}` }));
      const tokens = await a.confirmations.issue(bindings);
      expect(tokens).toHaveLength(20);
      expect(new Set(tokens).size).toBe(20);
      for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{22,}$/);
      expect(await b.confirmations.consume(tokens[7] ?? '', { ...binding, targetGuid: 'guid-7' })).toBe('ok');
      expect(await b.confirmations.consume(tokens[8] ?? '', { ...binding, targetGuid: 'guid-7' })).toBe('mismatch');
      expect(await a.confirmations.issue([])).toEqual([]);
    });

    it('answers ok once, then used, on either instance', async () => {
      const token = await issueOne(a);
      expect(await b.confirmations.consume(token, binding)).toBe('ok');
      expect(await b.confirmations.consume(token, binding)).toBe('used');
      expect(await a.confirmations.consume(token, binding)).toBe('used');
      expect(await (await open()).confirmations.consume(token, binding)).toBe('used'); // and after a restart
    });

    it.each<NonceBinding['purpose']>(['reset', 'mail', 'reveal', 'unlock'])('keeps a %s confirmation apart from the other purposes', async (purpose) => {
      const token = await issueOne(a, { ...binding, purpose });
      for (const other of (['reset', 'mail', 'reveal', 'unlock'] as const).filter((p) => p !== purpose)) {
        expect(await b.confirmations.consume(token, { ...binding, purpose: other })).toBe('mismatch');
      }
      expect(await b.confirmations.consume(token, { ...binding, purpose })).toBe('ok');
    });

    it.each<[string, Partial<NonceBinding>]>([
      ['another Teams user', { aadObjectId: 'user-2' }],
      ['another Teams tenant', { teamsTenantId: 'tenant-b' }],
      ['another admin', { adminDn: 'CN=Other,OU=Acme,DC=corp,DC=test' }],
      ['another environment', { tenantKey: 'beta' }],
      ['another target', { targetGuid: '00000000-0000-0000-0000-000000000000' }],
      ['another purpose', { purpose: 'mail' }],
    ])('answers mismatch for %s, and does not consume the token', async (_, change) => {
      const token = await issueOne();
      expect(await b.confirmations.consume(token, { ...binding, ...change })).toBe('mismatch');
      expect(await a.confirmations.consume(token, binding)).toBe('ok');
      expect(await b.confirmations.consume(token, { ...binding, ...change })).toBe('mismatch'); // used, but not told to others
    });

    it('expires after its TTL (10 minutes by default); a used one answers used until then', async () => {
      const unused = await issueOne();
      const used = await issueOne();
      expect(await a.confirmations.consume(used, binding)).toBe('ok');
      at('2026-02-10T12:09:59.999Z');
      expect(await b.confirmations.consume(used, binding)).toBe('used');
      const late = await issueOne(b);
      at('2026-02-10T12:10:00.000Z');
      expect(await b.confirmations.consume(unused, binding)).toBe('expired');
      expect(['expired', 'unknown']).toContain(await a.confirmations.consume(unused, binding)); // may be pruned by now
      expect(await a.confirmations.consume(late, binding)).toBe('ok');

      const short = await open({ confirmationTtlMinutes: 1 });
      const brief = await issueOne(short);
      later(1);
      expect(await short.confirmations.consume(brief, binding)).toBe('expired');
    });

    it('refuses a token never issued, and answers unknown for a malformed one', async () => {
      const real = await issueOne();
      const forged = randomBytes(real.length).toString('base64url').slice(0, real.length);
      // A signed token (embedded) cannot tell a forgery from a wrong binding: 'mismatch' there.
      expect(['unknown', 'mismatch']).toContain(await a.confirmations.consume(forged, binding));
      expect(await a.confirmations.consume('', binding)).toBe('unknown');
      expect(await a.confirmations.consume('not a token at all!', binding)).toBe('unknown');
      expect(await a.confirmations.consume(undefined as unknown as string, binding)).toBe('unknown');
      expect(await a.confirmations.consume(real, binding)).toBe('ok');
    });

    it('stores no token as it was issued', async () => {
      const tokens = await a.confirmations.issue([binding, { ...binding, purpose: 'mail' }]);
      await b.confirmations.consume(tokens[0] ?? '', binding);
      const stored = await subject.dump();
      for (const token of tokens) expect(stored).not.toContain(token);
    });

    it('refuses malformed bindings and more than 100 at once', async () => {
      expect((await caught(a.confirmations.issue([{ ...binding, purpose: 'delete' as NonceBinding['purpose'] }]))).code).toBe('INPUT_INVALID');
      expect((await caught(a.confirmations.issue([{ ...binding, adminDn: '' }]))).code).toBe('INPUT_INVALID');
      expect((await caught(a.confirmations.issue(Array.from({ length: 101 }, () => binding)))).code).toBe('INPUT_INVALID');
    });

    it('of 20 concurrent consumes of one token from every instance, exactly one is ok (10 rounds)', async () => {
      for (let round = 0; round < 10; round++) {
        const token = await issueOne(round % 2 ? a : b);
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).confirmations.consume(token, binding)));
        expect(results.filter((r) => r === 'ok')).toHaveLength(1);
        expect(results.filter((r) => r === 'used')).toHaveLength(19);
      }
    });

    it('concurrent consumes with the wrong binding never win nor burn the token', async () => {
      const token = await issueOne();
      const other = { ...binding, aadObjectId: 'attacker' };
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).confirmations.consume(token, i < 10 ? other : binding)));
      expect(results.slice(0, 10)).toEqual(Array(10).fill('mismatch'));
      expect(results.slice(10).filter((r) => r === 'ok')).toHaveLength(1);
      expect(results.slice(10).filter((r) => r === 'used')).toHaveLength(9);
    });
  });

  describe('sign-in attempts', () => {
    const user = 'teams:tenant-a:user-1';
    const account = 'admin:tenant-a:0b5e7a4c-1111-4222-8333-444455556666';
    const reserve = (keys: string[], times: number, on: Instance = a) =>
      Promise.all(Array.from({ length: times }, () => on.signInAttempts.reserve(keys))).then((r) => r.filter((x) => x.ok).length);

    it('allows 5 reservations, refuses the 6th naming the spent keys, and counts nothing for a refused one', async () => {
      let ok = 0;
      for (let i = 0; i < 5; i++) if ((await (i % 2 ? a : b).signInAttempts.reserve([user, account])).ok) ok++;
      expect(ok).toBe(5);
      expect(await a.signInAttempts.reserve([user, account])).toEqual({ ok: false, blocked: [user, account] });
      later(1);
      for (let i = 0; i < 10; i++) expect((await b.signInAttempts.reserve([account])).ok).toBe(false); // refused: not counted
      later(14); // the five of 12:00 leave the window at 12:15; the refusals of 12:01 would still be in it
      expect(await a.signInAttempts.reserve([account])).toEqual({ ok: true });
    });

    it('slides the window: each attempt stops counting 15 minutes after it', async () => {
      const keys = ['account:jmus'];
      await reserve(keys, 3); // 12:00
      later(10);
      await reserve(keys, 2, b); // 12:10
      at('2026-02-10T12:14:59.999Z');
      expect((await a.signInAttempts.reserve(keys)).ok).toBe(false);
      at('2026-02-10T12:15:00.000Z'); // the three of 12:00 are out: two left, room for three
      expect(await reserve(keys, 5, b)).toBe(3);
      at('2026-02-10T12:25:00.000Z'); // the two of 12:10 are out: three left (12:15)
      expect(await reserve(keys, 5)).toBe(2);
      later(15);
      expect(await reserve(keys, 1, b)).toBe(1);
    });

    it('keeps keys independent; any spent key blocks the attempt and only spent keys are named', async () => {
      await reserve(['teams:t:u1', 'account:jmus'], 5);
      expect(await b.signInAttempts.reserve(['teams:t:u2', 'account:other'])).toEqual({ ok: true });
      expect(await b.signInAttempts.reserve(['teams:t:u2', 'account:jmus'])).toEqual({ ok: false, blocked: ['account:jmus'] });
      expect(await a.signInAttempts.reserve(['teams:t:u1', 'account:other'])).toEqual({ ok: false, blocked: ['teams:t:u1'] });
      expect(await a.signInAttempts.reserve(['account:jmus', 'teams:t:u1', 'account:jmus'])).toEqual({ ok: false, blocked: ['account:jmus', 'teams:t:u1'] });
    });

    it('clears only the keys given, for every instance', async () => {
      await reserve(['teams:t:u1', 'account:jmus'], 5);
      await b.signInAttempts.clear(['account:jmus']);
      expect(await a.signInAttempts.reserve(['account:jmus'])).toEqual({ ok: true });
      expect((await a.signInAttempts.reserve(['teams:t:u1'])).ok).toBe(false);
      await a.signInAttempts.clear(['teams:t:u1', 'never-seen']);
      expect(await b.signInAttempts.reserve(['teams:t:u1'])).toEqual({ ok: true });
      await b.signInAttempts.clear([]);
    });

    it('honours maxFailures and windowMinutes', async () => {
      const strict = await open({ maxFailures: 2, windowMinutes: 1 });
      expect(await reserve(['k'], 10, strict)).toBe(2);
      later(1);
      expect(await reserve(['k'], 10, strict)).toBe(2);
    });

    it('lets exactly 5 of 40 concurrent reservations from every instance through (5 rounds)', async () => {
      for (let round = 0; round < 5; round++) {
        const keys = [`account:round-${round}`];
        const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).signInAttempts.reserve(keys)));
        expect(results.filter((r) => r.ok)).toHaveLength(5);
        expect(results.filter((r) => !r.ok)).toEqual(Array(35).fill({ ok: false, blocked: keys }));
      }
    });

    it('holds the limit for 40 concurrent attempts sharing one key in any order, from 40 Teams users', async () => {
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => {
          const keys = i % 3 ? [`teams:t:u${i}`, 'account:shared'] : ['account:shared', `teams:t:u${i}`];
          return (i % 2 ? a : b).signInAttempts.reserve(keys);
        }),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(5);
      expect((await a.signInAttempts.reserve(['account:shared'])).ok).toBe(false);
      expect(await a.signInAttempts.reserve(['teams:t:u0'])).toEqual({ ok: true }); // the Teams users' own budgets were barely used
    });
  });

  describe('audit', () => {
    const entry = (overrides: Partial<AuditRecordInput> = {}): AuditRecordInput => ({
      environment: 'acme',
      admin: { dn: 'CN=Helpdesk,OU=Acme,DC=corp,DC=test', upn: 'helpdesk@acme.test' },
      target: { dn: 'CN=Joman Mus,OU=Acme,DC=corp,DC=test', sam: 'sbf_jmus', guid: null },
      action: 'reset',
      outcome: 'success',
      ...overrides,
    });
    const ids = (entries: AuditEntry[]) => entries.map((e) => e.correlationId);

    it('records an entry with an id and the time (the clock\'s, or the one given), and reads it back on either instance', async () => {
      const dated = await b.audit.record(entry({ time: new Date('2026-02-01T08:00:00Z'), correlationId: 'dated' }));
      expect(dated.time).toBe('2026-02-01T08:00:00.000Z');
      const recorded = await a.audit.record(
        entry({
          correlationId: 'c-1',
          mail: { recipient: 'j.mus@acme.test', language: 'nl', messageId: '<m@x>', smtpResponse: '250 ok' },
          errorCode: null,
          detail: 'policy',
          admin: { dn: 'CN=Helpdesk,OU=Acme,DC=corp,DC=test', upn: null, teamsId: 'aad-1' },
          target: { dn: null, sam: 'sbf_jmus', guid: '6f1c1c36-0d3e-4d4e-9a57-1c1f5f0c2a11', reference: 'jmus' },
        }),
      );
      expect(recorded.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(recorded.id).not.toBe(dated.id);
      expect(recorded.time).toBe('2026-02-10T12:00:00.000Z');
      expect(await b.audit.recent({})).toEqual([recorded, dated]);
    });

    it('refuses an entry with an unknown key, writes nothing and does not repeat the value', async () => {
      const withPassword = { ...entry(), password: 'Temp-Secret-123!' } as AuditRecordInput;
      const error = await caught(a.audit.record(withPassword));
      expect(error.code).toBe('AUDIT_WRITE_FAILED');
      expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain('Temp-Secret-123!');
      expect(String((error.cause as Error).message)).not.toContain('Temp-Secret-123!');
      const badEnum = entry({ action: 'Temp-Secret-123!' as AuditRecordInput['action'] });
      expect((await caught(a.audit.record(badEnum))).code).toBe('AUDIT_WRITE_FAILED');
      expect(await b.audit.recent({})).toEqual([]);
      expect(await subject.dump()).not.toContain('Temp-Secret-123!');
    });

    describe('recent', () => {
      beforeEach(async () => {
        const rec = (iso: string, overrides: Partial<AuditRecordInput>) => a.audit.record(entry({ time: new Date(iso), ...overrides }));
        await rec('2025-12-20T10:00:00Z', { correlationId: 'december' }); // two months back: not searched
        await rec('2026-01-31T23:59:00Z', { correlationId: 'january' });
        await rec('2026-02-01T00:00:00Z', { correlationId: 'february-intent', outcome: 'intent' });
        await rec('2026-02-01T00:00:00Z', { correlationId: 'february-outcome' });
        await rec('2026-02-03T09:00:00Z', { correlationId: 'other-env', environment: 'hosting' });
        await rec('2026-02-04T09:00:00Z', { correlationId: 'other-target', target: { dn: null, sam: 'sbf_other', guid: null } });
        await rec('2026-02-05T09:00:00Z', { correlationId: 'refused-lookup', target: { dn: null, sam: null, guid: null, reference: 'jmus' } });
        await rec('2026-02-06T09:00:00Z', { correlationId: 'sign-in', action: 'sign-in', target: undefined });
      });

      it('filters by environment and by employee (case-insensitive), newest first, across the month boundary', async () => {
        expect(ids(await b.audit.recent({ environment: 'acme', targetSam: 'SBF_JMUS' }))).toEqual(['february-outcome', 'february-intent', 'january']);
        expect(ids(await b.audit.recent({ targetSam: 'sbf_other' }))).toEqual(['other-target']);
        expect(ids(await b.audit.recent({ environment: 'hosting', targetSam: 'sbf_jmus' }))).toEqual(['other-env']);
      });

      it('of the newest entries, keeps those about the accounts asked for (objectGUID)', async () => {
        const G1 = '11111111-1111-4111-8111-111111111111';
        const G2 = '22222222-2222-4222-8222-222222222222';
        const about = (guid: string, correlationId: string) => b.audit.record(entry({ correlationId, target: { dn: null, sam: null, guid } }));
        await about(G1, 'g1-old');
        await about(G2, 'g2');
        await about(G1, 'g1-new');
        await b.audit.record(entry({ correlationId: 'no-guid' }));
        expect(ids(await a.audit.recent({ environment: 'acme', targetGuids: [G1] }))).toEqual(['g1-new', 'g1-old']);
        expect(ids(await a.audit.recent({ environment: 'acme', targetGuids: [G1, G2] }))).toEqual(['g1-new', 'g2', 'g1-old']);
        expect(ids(await a.audit.recent({ environment: 'hosting', targetGuids: [G1] }))).toEqual([]);
        // The limit counts every entry of the environment, not only those kept: the newest 3 hold g1-new and g2.
        expect(ids(await a.audit.recent({ environment: 'acme', targetGuids: [G1, G2], limit: 3 }))).toEqual(['g1-new', 'g2']);
        expect(await a.audit.recent({ environment: 'acme', targetGuids: [] })).toEqual([]);
      });

      it('filters by environment only, and honours the limit (20 by default)', async () => {
        expect(ids(await a.audit.recent({ environment: 'hosting' }))).toEqual(['other-env']);
        expect(ids(await a.audit.recent({ environment: 'acme', limit: 2 }))).toEqual(['sign-in', 'refused-lookup']);
        expect(await a.audit.recent({})).toHaveLength(7);
        expect(await a.audit.recent({ limit: 0 })).toEqual([]);
        expect(await a.audit.recent({ environment: 'nowhere' })).toEqual([]);
        await Promise.all(Array.from({ length: 30 }, (_, i) => b.audit.record(entry({ correlationId: `more-${i}` }))));
        expect(await a.audit.recent({})).toHaveLength(20);
      });
    });

    it('purges what is older than the retention, returns how many, and nothing twice', async () => {
      const rec = (iso: string) => a.audit.record(entry({ time: new Date(iso), correlationId: iso }));
      await rec('2025-12-20T10:00:00Z');
      await rec('2026-01-20T10:00:00Z');
      await rec('2026-02-10T10:00:00Z'); // before the cutoff, 2026-02-13T12:00Z
      await rec('2026-02-20T10:00:00Z');
      await rec('2026-03-10T10:00:00Z');

      expect(await b.audit.purge(new Date('2026-03-15T12:00:00Z'))).toBe(3);
      expect(await a.audit.purge(new Date('2026-03-15T12:00:00Z'))).toBe(0);
      at('2026-03-15T12:00:00Z');
      expect(ids(await a.audit.recent({}))).toEqual(['2026-03-10T10:00:00Z', '2026-02-20T10:00:00Z']);
      expect(await b.audit.purge()).toBe(0); // the clock's now
      at('2026-04-05T12:00:00Z'); // cutoff 2026-03-06T12:00Z
      expect(await b.audit.purge()).toBe(1);
      expect(await a.audit.purge(new Date('2026-04-05T12:00:00Z'))).toBe(0);
      expect(ids(await a.audit.recent({}))).toEqual(['2026-03-10T10:00:00Z']);
    });

    it('lists the open intents of directory changes for reconciliation: unsettled, before the given time, earliest per id, oldest first', async () => {
      const rec = (iso: string, overrides: Partial<AuditRecordInput>) => a.audit.record(entry({ time: new Date(iso), ...overrides }));
      await rec('2025-12-20T10:00:00Z', { correlationId: 'too-old', outcome: 'intent' }); // two months back: not searched
      await rec('2026-01-15T10:00:00Z', { correlationId: 'open-reset', outcome: 'intent', keyVersion: 3, pwdLastSet: '134000000000000000' });
      await rec('2026-01-20T10:00:00Z', { correlationId: 'twice', outcome: 'intent' });
      await rec('2026-01-21T10:00:00Z', { correlationId: 'twice', outcome: 'intent' });
      await rec('2026-02-01T10:00:00Z', { correlationId: 'open-mail', action: 'mail', outcome: 'intent' });
      await rec('2026-02-02T10:00:00Z', { correlationId: 'unknown-answer', outcome: 'intent' });
      await rec('2026-02-02T10:00:01Z', { correlationId: 'unknown-answer', outcome: 'unknown' }); // leaves it open
      for (const outcome of ['success', 'refused', 'failed', 'applied', 'not-applied'] as const) {
        await rec('2026-02-03T10:00:00Z', { correlationId: `settled-${outcome}`, outcome: 'intent' });
        await rec('2026-02-03T10:00:01Z', { correlationId: `settled-${outcome}`, outcome, action: outcome === 'success' ? 'notice-mail' : 'reset' });
      }
      await rec('2026-02-04T10:00:00Z', { correlationId: 'settled-later', outcome: 'intent' });
      await rec('2026-02-10T11:59:00Z', { correlationId: 'settled-later', outcome: 'success' }); // after olderThan: still settles
      await rec('2026-02-04T10:00:00Z', { correlationId: 'sign-in', action: 'sign-in', outcome: 'intent' }); // changes nothing in the directory
      await rec('2026-02-04T10:00:00Z', { outcome: 'intent' }); // no correlation id
      await rec('2026-02-10T11:00:00Z', { correlationId: 'too-young', outcome: 'intent' });

      const open = await b.audit.openIntents(new Date('2026-02-10T11:00:00Z'));
      expect(ids(open)).toEqual(['open-reset', 'twice', 'open-mail', 'unknown-answer']);
      expect(open[0]).toMatchObject({ keyVersion: 3, pwdLastSet: '134000000000000000', outcome: 'intent', action: 'reset' });
      expect(open[1]?.time).toBe('2026-01-20T10:00:00.000Z'); // the earliest of the two
      expect(ids(await a.audit.openIntents(new Date('2026-02-10T11:00:00.001Z')))).toContain('too-young');

      await a.audit.record(entry({ correlationId: 'open-reset', outcome: 'applied', keyVersion: 4 }));
      expect(ids(await b.audit.openIntents(new Date('2026-02-10T11:00:00Z')))).toEqual(['twice', 'open-mail', 'unknown-answer']);
    });

    describe('between (the export)', () => {
      const entries = async (range: Parameters<Instance['audit']['between']>[0]): Promise<AuditEntry[]> => {
        const found: AuditEntry[] = [];
        for await (const e of b.audit.between(range)) found.push(e);
        return found;
      };
      const all = async (range: Parameters<Instance['audit']['between']>[0]) => ids(await entries(range));
      beforeEach(async () => {
        const rec = (iso: string, overrides: Partial<AuditRecordInput>) => a.audit.record(entry({ time: new Date(iso), ...overrides }));
        await rec('2025-12-20T10:00:00Z', { correlationId: 'december' }); // older than `recent` reads: the export has it
        await rec('2026-01-31T23:59:59.999Z', { correlationId: 'january' });
        await rec('2026-02-01T00:00:00Z', { correlationId: 'february-intent', outcome: 'intent' });
        await rec('2026-02-01T00:00:00Z', { correlationId: 'february-outcome' });
        await rec('2026-02-03T09:00:00Z', { correlationId: 'hosting', environment: 'hosting' });
        await rec('2026-02-04T09:00:00Z', { correlationId: 'no-environment', environment: null, action: 'sign-in', target: undefined });
        await rec('2026-02-05T09:00:00Z', { correlationId: 'beta', environment: 'beta' });
      });

      it('yields the entries from `from` (included) to `to` (not included), oldest first, as recorded', async () => {
        expect(await all({})).toEqual(['december', 'january', 'february-intent', 'february-outcome', 'hosting', 'no-environment', 'beta']);
        expect(await all({ from: new Date('2026-01-31T23:59:59.999Z'), to: new Date('2026-02-03T09:00:00Z') })).toEqual(['january', 'february-intent', 'february-outcome']);
        expect(await all({ from: new Date('2026-02-01T00:00:00.001Z') })).toEqual(['hosting', 'no-environment', 'beta']);
        expect(await all({ to: new Date('2026-01-31T23:59:59.999Z') })).toEqual(['december']);
        expect(await all({ from: new Date('2026-03-01T00:00:00Z') })).toEqual([]);
        const [first] = await entries({ to: new Date('2026-01-01T00:00:00Z') });
        expect(first).toMatchObject({ time: '2025-12-20T10:00:00.000Z', environment: 'acme', action: 'reset', outcome: 'success', target: { sam: 'sbf_jmus' } });
      });

      it('filters by environment: one, several, or none (then entries without one are included)', async () => {
        expect(await all({ environments: ['hosting'] })).toEqual(['hosting']);
        expect(await all({ environments: ['beta', 'hosting'], from: new Date('2026-02-01T00:00:00Z') })).toEqual(['hosting', 'beta']);
        expect(await all({ environments: ['acme'], from: new Date('2026-01-01T00:00:00Z') })).toEqual(['january', 'february-intent', 'february-outcome']);
        expect(await all({ environments: [] })).toEqual([]);
        expect(await all({ environments: ['nowhere'] })).toEqual([]);
      });

      it('yields every one of 1,100 entries once, in the order recorded, past the batches it reads in', async () => {
        at('2026-02-20T08:00:00.000Z');
        for (let i = 0; i < 1_100; i++) {
          if (i % 300 === 0) later(1); // runs of equal times
          await (i % 2 ? a : b).audit.record(entry({ correlationId: `bulk-${i}`, detail: 'x'.repeat(100) }));
        }
        expect(await all({ from: new Date('2026-02-20T00:00:00Z') })).toEqual(Array.from({ length: 1_100 }, (_, i) => `bulk-${i}`));
      });
    });

    it('keeps all of 200 concurrent entries from every instance', async () => {
      const recorded = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).audit.record(entry({ correlationId: `c-${i}` }))));
      const found = await a.audit.recent({ limit: 500 });
      expect(found).toHaveLength(200);
      expect(new Set(found.map((e) => e.id))).toEqual(new Set(recorded.map((e) => e.id)));
    });
  });

  describe('timed jobs', () => {
    it('runs a job on exactly one instance at a time; the others skip it', async () => {
      const runA = a.runExclusive;
      const runB = b.runExclusive;
      for (let round = 0; round < 5; round++) {
        let running = 0;
        let most = 0;
        let skipped = 0;
        const ran: number[] = [];
        // The job that runs lasts until every other call has come back without running it (or 5 s).
        const work = (i: number) => async () => {
          running++;
          most = Math.max(most, running);
          const deadline = Date.now() + 5_000;
          while (skipped < 9 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
          running--;
          ran.push(i);
          return i;
        };
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            (i % 2 ? runA : runB)('purge', work(i)).then((result) => {
              if (result === undefined) skipped++;
              return result;
            }),
          ),
        );
        expect(ran).toHaveLength(1);
        expect(most).toBe(1);
        expect(skipped).toBe(9);
        expect(results.filter((r) => r !== undefined)).toEqual(ran);
      }
    });

    it('frees the job when it ends, also when it fails; other jobs are not held up', async () => {
      const runA = a.runExclusive;
      const runB = b.runExclusive;
      expect(await runA('purge', async () => 'first')).toBe('first');
      expect(await runB('purge', async () => 'second')).toBe('second');
      await expect(runA('purge', async () => Promise.reject(new Error('job failed')))).rejects.toThrow('job failed');
      expect(await runB('purge', async () => 'after a failure')).toBe('after a failure');

      let release: () => void = () => undefined;
      const held = runA('purge', () => new Promise<string>((resolve) => (release = () => resolve('held'))));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await runB('purge', async () => 'skipped')).toBeUndefined();
      expect(await runB('reconcile', async () => 'another job')).toBe('another job');
      release();
      expect(await held).toBe('held');
    });
  });

  describe('conversation references', () => {
    const user = { teamsTenantId: 'tenant-a', aadObjectId: 'user-1' };
    const reference = (conversationId = 'a:1x2y3z') => ({
      channelId: 'msteams',
      serviceUrl: 'https://smba.trafficmanager.net/emea/',
      locale: 'nl-NL',
      conversation: { id: conversationId, tenantId: 'tenant-a', conversationType: 'personal' },
      bot: { id: '28:bot', name: 'Password Reset' },
      user: { id: '29:user-1', aadObjectId: 'user-1' },
    });

    it('keeps the latest reference per Teams user, seen by every instance; unknown fields are not kept', async () => {
      expect(await a.conversations.get(user)).toBeNull();
      await a.conversations.save(user, { ...reference(), activityId: 'not kept' } as ReturnType<typeof reference>);
      expect(await b.conversations.get(user)).toEqual(reference());
      await b.conversations.save(user, reference('a:newer'));
      expect(await a.conversations.get(user)).toEqual(reference('a:newer'));
      expect(await a.conversations.get({ ...user, aadObjectId: 'user-2' })).toBeNull();
      expect(await subject.dump()).not.toContain('not kept');
    });

    it('refuses a malformed reference and keeps the one it had', async () => {
      await a.conversations.save(user, reference());
      const bad = [{ ...reference(), serviceUrl: 'not a url' }, { ...reference(), conversation: {} }, { ...reference(), bot: undefined }];
      for (const value of bad) {
        expect((await caught(a.conversations.save(user, value as unknown as ReturnType<typeof reference>))).code).toBe('INPUT_INVALID');
      }
      expect((await caught(a.conversations.save({ teamsTenantId: '', aadObjectId: 'x' }, reference()))).code).toBe('INPUT_INVALID');
      expect(await b.conversations.get(user)).toEqual(reference());
    });
  });

  describe('pending commands', () => {
    const user = { teamsTenantId: 'tenant-a', aadObjectId: 'user-1' };

    it('keeps the latest command of a user until it is taken, once, on either instance', async () => {
      await a.pendingCommands.put(user, 'list');
      await b.pendingCommands.put(user, 'reset jmus');
      await a.pendingCommands.put({ ...user, aadObjectId: 'user-2' }, 'find jan');
      expect(await b.pendingCommands.take(user)).toBe('reset jmus');
      expect(await a.pendingCommands.take(user)).toBeNull();
      expect(await a.pendingCommands.take({ ...user, aadObjectId: 'user-2' })).toBe('find jan');
    });

    it('forgets a command after 10 minutes', async () => {
      await a.pendingCommands.put(user, 'list');
      later(9);
      await a.pendingCommands.put({ ...user, aadObjectId: 'user-2' }, 'list 2');
      later(2);
      expect(await b.pendingCommands.take(user)).toBeNull();
      expect(await b.pendingCommands.take({ ...user, aadObjectId: 'user-2' })).toBe('list 2');
    });

    it('of 20 concurrent takes from every instance, exactly one gets the command (5 rounds)', async () => {
      for (let round = 0; round < 5; round++) {
        await a.pendingCommands.put(user, `list ${round + 1}`);
        const taken = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).pendingCommands.take(user)));
        expect(taken.filter((t) => t !== null)).toEqual([`list ${round + 1}`]);
      }
    });

    it('refuses an empty or overlong command, and a malformed user', async () => {
      expect((await caught(a.pendingCommands.put(user, ''))).code).toBe('INPUT_INVALID');
      expect((await caught(a.pendingCommands.put(user, 'x'.repeat(1001)))).code).toBe('INPUT_INVALID');
      expect((await caught(a.pendingCommands.put({ teamsTenantId: 'tenant-a', aadObjectId: '' }, 'list'))).code).toBe('INPUT_INVALID');
      expect(await a.pendingCommands.take(user)).toBeNull();
    });
  });

  describe('pending resets', () => {
    const reset = (accountGuid: string, resetAt: string) => ({
      accountGuid,
      tenantKey: 'hosting',
      accountName: 'Joman Mus',
      admin: { teamsTenantId: 'tenant-a', aadObjectId: 'user-1', dn: 'CN=Info SBF,OU=Hosting,DC=corp,DC=test', sam: 'sbf_info' },
      resetAt,
    });
    const g1 = '11111111-1111-4111-8111-111111111111';
    const g2 = '22222222-2222-4222-8222-222222222222';

    it('records, lists oldest first, and a newer reset of the same account replaces the older one', async () => {
      await a.pendingResets.put(reset(g1, '2026-02-10T12:00:00.000Z'));
      await b.pendingResets.put(reset(g2, '2026-02-10T11:00:00.000Z'));
      expect((await a.pendingResets.list()).map((r) => r.accountGuid)).toEqual([g2, g1]);
      await a.pendingResets.put(reset(g2, '2026-02-10T13:00:00.000Z'));
      expect(await b.pendingResets.get(g2)).toEqual(reset(g2, '2026-02-10T13:00:00.000Z'));
      expect((await b.pendingResets.list()).map((r) => r.accountGuid)).toEqual([g1, g2]);
      expect(await a.pendingResets.list(1)).toHaveLength(1);
      // A mailed link (link mode) carries the key version read at issue and its expiry.
      const linked = { ...reset(g1, '2026-02-10T14:00:00.000Z'), link: { keyVersion: 7, expiresAt: '2026-02-11T14:00:00.000Z' } };
      await b.pendingResets.put(linked);
      expect(await a.pendingResets.get(g1)).toEqual(linked);
    });

    it('settles only the reset it names: a newer one of the same account stays', async () => {
      await a.pendingResets.put(reset(g1, '2026-02-10T12:00:00.000Z'));
      await a.pendingResets.put(reset(g1, '2026-02-10T12:05:00.000Z'));
      expect(await b.pendingResets.settle(g1, '2026-02-10T12:00:00.000Z')).toBe(false);
      expect(await b.pendingResets.get(g1)).not.toBeNull();
      expect(await b.pendingResets.settle(g1, '2026-02-10T12:05:00.000Z')).toBe(true);
      expect(await a.pendingResets.get(g1)).toBeNull();
      expect(await a.pendingResets.settle(g2, '2026-02-10T12:05:00.000Z')).toBe(false);
    });

    it('of 20 concurrent settles from every instance, exactly one wins', async () => {
      await a.pendingResets.put(reset(g1, '2026-02-10T12:00:00.000Z'));
      const won = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).pendingResets.settle(g1, '2026-02-10T12:00:00.000Z')));
      expect(won.filter(Boolean)).toHaveLength(1);
    });

    it('refuses a malformed reset and stores nothing', async () => {
      const bad = [{ ...reset('not-a-guid', '2026-02-10T12:00:00.000Z') }, { ...reset(g1, 'yesterday') }, { ...reset(g1, '2026-02-10T12:00:00.000Z'), admin: { teamsTenantId: 'tenant-a', aadObjectId: '', dn: 'CN=x', sam: 'x' } }];
      for (const value of bad) expect((await caught(a.pendingResets.put(value as ReturnType<typeof reset>))).code).toBe('INPUT_INVALID');
      expect(await b.pendingResets.list()).toEqual([]);
    });
  });

  describe('link tokens', () => {
    const g1 = '11111111-1111-4111-8111-111111111111';
    const g2 = '22222222-2222-4222-8222-222222222222';
    const grant = (accountGuid = g1, keyVersion = 3): LinkGrant => ({
      accountGuid,
      tenantKey: 'hosting',
      accountDn: 'CN=Joman Mus,OU=Hosting,DC=corp,DC=test',
      accountName: 'Joman Mus',
      keyVersion,
      language: 'nl',
      admin: { dn: 'CN=Info SBF,OU=Hosting,DC=corp,DC=test', upn: 'info@mijnsynergy.nl' },
    });

    it('issues a 256-bit token that works once, seen alike by every instance, and stores only its hash', async () => {
      const token = await a.linkTokens.issue(grant(), 60);
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await b.linkTokens.peek(token)).toMatchObject({ ...grant(), issuedAt: '2026-02-10T12:00:00.000Z', expiresAt: '2026-02-10T13:00:00.000Z' });
      const used = await b.linkTokens.consume(token);
      expect(used).toMatchObject({ status: 'ok', link: grant() });
      expect(await a.linkTokens.consume(token)).toEqual({ status: 'used' });
      expect(await a.linkTokens.peek(token)).toBeNull();
      const stored = await subject.dump();
      expect(stored).not.toContain(token);
      expect(stored).not.toContain(Buffer.from(token, 'base64url').toString('hex'));
      expect(stored).toContain(createHash('sha256').update(token).digest('hex'));
    });

    it('of 20 concurrent uses from every instance, exactly one wins', async () => {
      const token = await a.linkTokens.issue(grant(), 60);
      const uses = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).linkTokens.consume(token)));
      expect(uses.filter((u) => u.status === 'ok')).toHaveLength(1);
      expect(uses.filter((u) => u.status === 'used')).toHaveLength(19);
    });

    it('stops working when it expires', async () => {
      const token = await a.linkTokens.issue(grant(), 60);
      later(59);
      expect(await b.linkTokens.peek(token)).not.toBeNull();
      later(1);
      expect(await b.linkTokens.peek(token)).toBeNull();
      expect(await b.linkTokens.consume(token)).toEqual({ status: 'expired' });
    });

    it('a newer link of the same account, or a revoke, ends the earlier one; other accounts keep theirs', async () => {
      const first = await a.linkTokens.issue(grant(g1), 60);
      const other = await a.linkTokens.issue(grant(g2), 60);
      const second = await b.linkTokens.issue(grant(g1), 60);
      expect(await a.linkTokens.consume(first)).toEqual({ status: 'unknown' });
      expect(await a.linkTokens.peek(second)).not.toBeNull();
      expect(await b.linkTokens.revoke(g1)).toBe(1);
      expect(await a.linkTokens.consume(second)).toEqual({ status: 'unknown' });
      expect((await a.linkTokens.consume(other)).status).toBe('ok');
    });

    it('a released token can be used again, until it expires', async () => {
      const token = await a.linkTokens.issue(grant(), 60);
      expect((await a.linkTokens.consume(token)).status).toBe('ok');
      await b.linkTokens.release(token);
      expect((await a.linkTokens.consume(token)).status).toBe('ok');
      later(61);
      // Used, then expired: a release after the expiry gives nothing back.
      await b.linkTokens.release(token);
      expect(await a.linkTokens.consume(token)).toEqual({ status: 'used' });
    });

    it('answers unknown for a token it never issued or one of another shape, and refuses a malformed grant', async () => {
      await a.linkTokens.issue(grant(), 60);
      for (const token of [randomBytes(32).toString('base64url'), 'short', '', 'x'.repeat(500)]) {
        expect(await b.linkTokens.consume(token)).toEqual({ status: 'unknown' });
        expect(await b.linkTokens.peek(token)).toBeNull();
      }
      for (const bad of [{ ...grant(), accountGuid: 'nope' }, { ...grant(), keyVersion: -1 }, { ...grant(), extra: 1 }]) {
        expect((await caught(a.linkTokens.issue(bad as LinkGrant, 60))).code).toBe('INPUT_INVALID');
      }
      expect((await caught(a.linkTokens.issue(grant(), 0))).code).toBe('INPUT_INVALID');
    });
  });

  describe('portal attempts', () => {
    it('limits per user name and per address on their own budgets, shared by every instance, within the window', async () => {
      for (let i = 0; i < PORTAL_LIMITS.perName; i++) expect(await (i % 2 ? a : b).portalAttempts.byName.reserve(['name:jmus'])).toEqual({ ok: true });
      expect(await a.portalAttempts.byName.reserve(['name:jmus'])).toEqual({ ok: false, blocked: ['name:jmus'] });
      expect(await b.portalAttempts.byName.reserve(['name:other'])).toEqual({ ok: true });
      // The address budget is larger, and the name limiter's count is not the address limiter's.
      for (let i = 0; i < PORTAL_LIMITS.perAddress; i++) expect(await (i % 2 ? a : b).portalAttempts.byAddress.reserve(['address:192.0.2.1'])).toEqual({ ok: true });
      expect(await b.portalAttempts.byAddress.reserve(['address:192.0.2.1'])).toEqual({ ok: false, blocked: ['address:192.0.2.1'] });
      later(PORTAL_LIMITS.windowMinutes + 1);
      expect(await a.portalAttempts.byName.reserve(['name:jmus'])).toEqual({ ok: true });
      expect(await b.portalAttempts.byAddress.reserve(['address:192.0.2.1'])).toEqual({ ok: true });
    });

    it('does not share its counts with the bot\'s sign-in attempts', async () => {
      for (let i = 0; i < PORTAL_LIMITS.perName; i++) await a.portalAttempts.byName.reserve(['k']);
      expect(await b.signInAttempts.reserve(['k'])).toEqual({ ok: true });
    });
  });
});
