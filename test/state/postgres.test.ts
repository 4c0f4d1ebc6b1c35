/**
 * What only the PostgreSQL store has: the schema and its migration at start-up, the plans of the
 * audit queries, pruning, start-up errors, and surviving a PostgreSQL restart or outage without a
 * process restart. The behaviour both stores share is in contract.test.ts.
 *
 * This file stops and restarts the run's PostgreSQL server (test files run one at a time).
 */
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { Pool } from 'pg';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../src/errors/catalog.js';
import { betweenQuery, OPEN_INTENTS_SQL, PURGE_BATCH_SQL, recentQuery } from '../../src/state/postgres/audit.js';
import { createPostgresState, type PostgresStateOptions } from '../../src/state/postgres/index.js';
import { MIGRATIONS } from '../../src/state/postgres/migrations.js';
import type { StateStore } from '../../src/state/state.js';
import { caught } from '../support/errors.js';
import { createTestDatabase, DATABASE_URL, pgCtl, TEST_POSTGRES, type TestDatabase } from '../support/postgres.js';
import { silentLog } from './subjects.js';

const binding = {
  teamsTenantId: 'tenant-a',
  aadObjectId: 'user-1',
  adminDn: 'CN=Helpdesk,OU=Acme,DC=corp,DC=test',
  tenantKey: 'acme',
  targetGuid: '6f1c1c36-0d3e-4d4e-9a57-1c1f5f0c2a11',
  purpose: 'reset' as const,
};

/** A logger whose lines the test can read. */
function recordingLog(): { log: PostgresStateOptions['log']; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}

const options = (url: string, extra: Partial<PostgresStateOptions> = {}): PostgresStateOptions => ({
  url,
  sessionTtlMinutes: 60,
  signIn: { maxFailures: 5, windowMinutes: 15 },
  auditRetentionDays: 30,
  log: silentLog,
  ...extra,
});

let database: TestDatabase;
let admin: Pool;
const stores: StateStore[] = [];
const open = async (extra: Partial<PostgresStateOptions> = {}): Promise<StateStore> => {
  const store = await createPostgresState(options(database.url, extra));
  stores.push(store);
  return store;
};

beforeAll(async () => {
  database = await createTestDatabase('postgres-store');
  admin = new Pool({ connectionString: database.url, max: 2 });
  admin.on('error', () => undefined); // the restart tests cut its connections too
});

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close().catch(() => undefined)));
});

afterAll(async () => {
  await admin.end();
  await database.drop();
});

describe('schema', () => {
  it('is created at start-up by exactly one of five instances starting at once; the others wait and find it done', async () => {
    const fresh = await createTestDatabase('migrate-race');
    try {
      const logs = Array.from({ length: 5 }, () => recordingLog());
      const started = await Promise.all(logs.map(({ log }) => createPostgresState(options(fresh.url, { log }))));
      await Promise.all(started.map((s) => s.close()));
      const migrated = logs.flatMap(({ lines }) => lines.filter((l) => l['code'] === 'STATE_MIGRATED'));
      expect(migrated.map((l) => l['version'])).toEqual(MIGRATIONS.map((m) => m.version));

      const check = new Pool({ connectionString: fresh.url, max: 1 });
      try {
        const { rows: versions } = await check.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
        expect(versions.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
        const { rows: tables } = await check.query<{ name: string }>(
          `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`,
        );
        expect(tables.map((t) => t.name)).toEqual([
          'audit_entries',
          'confirmations',
          'conversation_references',
          'link_tokens',
          'pending_commands',
          'pending_resets',
          'portal_attempts',
          'schema_migrations',
          'sessions',
          'sign_in_attempts',
        ]);
        const { rows: indexes } = await check.query<{ name: string }>(`SELECT indexname AS name FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`);
        expect(indexes.map((i) => i.name)).toEqual([
          'audit_entries_correlation_id',
          'audit_entries_environment_time',
          'audit_entries_id_key',
          'audit_entries_intents',
          'audit_entries_pkey',
          'audit_entries_target_sam_time',
          'audit_entries_time',
          'confirmations_expires_at',
          'confirmations_pkey',
          'conversation_references_pkey',
          'link_tokens_account_guid',
          'link_tokens_expires_at',
          'link_tokens_pkey',
          'pending_commands_expires_at',
          'pending_commands_pkey',
          'pending_resets_pkey',
          'pending_resets_reset_at',
          'portal_attempts_at',
          'portal_attempts_key_at',
          'schema_migrations_pkey',
          'sessions_expires_at',
          'sessions_pkey',
          'sign_in_attempts_at',
          'sign_in_attempts_key_at',
        ]);
      } finally {
        await check.end();
      }

      // A later start applies nothing.
      const again = recordingLog();
      await (await createPostgresState(options(fresh.url, { log: again.log }))).close();
      expect(again.lines.filter((l) => l['code'] === 'STATE_MIGRATED')).toEqual([]);
    } finally {
      await fresh.drop();
    }
  });

  it('keeps only the SHA-256 of a confirmation token', async () => {
    const store = await open();
    const [token = ''] = await store.confirmations.issue([binding]);
    const { rows } = await admin.query<{ hash: Buffer; row: string }>('SELECT hash, c::text AS row FROM confirmations c');
    expect(rows).toHaveLength(1);
    expect(rows[0]?.hash.equals(createHash('sha256').update(token).digest())).toBe(true);
    expect(rows[0]?.row).not.toContain(token);
    // The stored hash is not a token.
    expect(await store.confirmations.consume(rows[0]?.hash.toString('base64url').slice(0, 22) ?? '', binding)).toBe('unknown');
  });
});

describe('audit queries', () => {
  const plan = async (text: string, values: unknown[]): Promise<string> => {
    const { rows } = await admin.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text}`, values);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  };

  it('history and purge run on their indexes over 100,000 entries, not on a scan and sort of the table', async () => {
    await open(); // the schema
    await admin.query('TRUNCATE audit_entries');
    // 100,000 entries over the last 23 days (always within this month and the previous one), of 40
    // environments (acme is one of them), 500 employees each, and one rare employee.
    await admin.query(`
      INSERT INTO audit_entries (id, time, environment, target_sam, action, outcome, correlation_id, entry)
      SELECT gen_random_uuid(), t, env, sam, 'reset', 'success', 'n-' || i,
             jsonb_build_object('id', gen_random_uuid(), 'time', to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                                'environment', env, 'admin', jsonb_build_object('dn', 'CN=a', 'upn', null),
                                'target', jsonb_build_object('dn', null, 'sam', sam, 'guid', null),
                                'action', 'reset', 'outcome', 'success', 'correlationId', 'n-' || i)
      FROM generate_series(1, 100000) AS i,
           LATERAL (SELECT now() - (100000 - i) * interval '20 seconds' AS t,
                           CASE WHEN i % 40 = 0 THEN 'acme' ELSE 'env-' || (i % 40) END AS env,
                           CASE WHEN i = 5 THEN 'sbf_rare' ELSE 'sbf_user' || (i % 20000) END AS sam) AS v`);
    await admin.query('ANALYZE audit_entries');

    const plans: Record<string, string> = {};
    const byEnvironment = recentQuery({ environment: 'acme', limit: 15 }, null);
    plans['environment'] = await plan(byEnvironment.text, byEnvironment.values);
    expect(plans['environment']).toMatch(/Index Scan using audit_entries_environment_time/);
    const byEmployee = recentQuery({ environment: 'env-7', targetSam: 'SBF_USER7', limit: 15 }, null);
    plans['employee'] = await plan(byEmployee.text, byEmployee.values);
    expect(plans['employee']).toMatch(/Index Scan (using|on) audit_entries_target_sam_time/); // a few rows: a bitmap scan and a sort of those
    // The list's marks: of the environment's newest, those about the page's accounts (on the same index).
    const marks = recentQuery({ environment: 'acme', targetGuids: ['11111111-1111-4111-8111-111111111111'], limit: 200 }, null);
    plans['marks'] = await plan(marks.text, marks.values);
    expect(plans['marks']).toMatch(/Index Scan using audit_entries_environment_time/);
    const newest = recentQuery({ limit: 15 }, null);
    plans['newest'] = await plan(newest.text, newest.values);
    expect(plans['newest']).toMatch(/Index Scan using audit_entries_time/);
    // The export's pages (after the first): oldest first from where the last one ended, on the same indexes.
    const after = { time: new Date(Date.now() - 10 * 86_400_000).toISOString(), seq: '50000' };
    const exportEnvironment = betweenQuery({ environments: ['acme'], from: new Date(Date.now() - 20 * 86_400_000) }, after);
    plans['export-environment'] = await plan(exportEnvironment.text, exportEnvironment.values);
    // Of one environment the page's range is found on its index (a sort of those rows at most).
    expect(plans['export-environment']).toMatch(/Index (Scan Backward using|Scan on) audit_entries_environment_time/);
    expect(plans['export-environment']).toMatch(/Index Cond: \(\(environment = 'acme'::text\) AND \("time" >= /);
    const exportAll = betweenQuery({ from: new Date(Date.now() - 20 * 86_400_000), to: new Date() }, after);
    plans['export-all'] = await plan(exportAll.text, exportAll.values);
    expect(plans['export-all']).toMatch(/Index Scan Backward using audit_entries_time/);
    for (const text of Object.values(plans)) expect(text).not.toMatch(/Seq Scan/);
    for (const text of [plans['environment'], plans['newest'], plans['export-all']]) expect(text).not.toMatch(/Sort/); // the index gives the order
    expect(await plan(PURGE_BATCH_SQL, [null, 30 * 86_400_000])).toMatch(/audit_entries_time/);
    // Reconciliation: the intents through their own index, each one's other entries by correlation id.
    await admin.query(`
      INSERT INTO audit_entries (id, time, environment, target_sam, action, outcome, correlation_id, entry)
      SELECT gen_random_uuid(), now() - i * interval '1 minute', 'acme', 'sbf_user1', 'reset', o, 'c-' || i, '{}'::jsonb
      FROM generate_series(1, 200) AS i, unnest(ARRAY['intent', 'success']) AS o`);
    await admin.query('ANALYZE audit_entries');
    const intentsPlan = await plan(OPEN_INTENTS_SQL, [null, new Date(), ['success']]);
    expect(intentsPlan).toMatch(/audit_entries_intents/);
    expect(intentsPlan).toMatch(/audit_entries_correlation_id/);
    expect(intentsPlan).not.toMatch(/Seq Scan/);
    await admin.query(`DELETE FROM audit_entries WHERE correlation_id LIKE 'c-%'`);

    const store = await open();
    const timed = async (work: () => Promise<unknown>): Promise<number> => {
      const started = performance.now();
      await work();
      return Math.round((performance.now() - started) * 10) / 10;
    };
    const found = await store.audit.recent({ environment: 'env-5', targetSam: 'SBF_RARE', limit: 15 });
    expect(found.map((e) => e.correlationId)).toEqual(['n-5']);
    expect((await store.audit.recent({ environment: 'acme', limit: 15 })).map((e) => e.correlationId)).toEqual(
      Array.from({ length: 15 }, (_, i) => `n-${100_000 - 40 * i}`),
    );
    const ms = {
      recordMs: await timed(() => store.audit.record({ environment: 'acme', admin: { dn: null, upn: null }, action: 'reset', outcome: 'intent' })),
      historyMs: await timed(() => store.audit.recent({ environment: 'acme', limit: 15 })),
      employeeHistoryMs: await timed(() => store.audit.recent({ environment: 'env-7', targetSam: 'sbf_user7', limit: 15 })),
      purgeMs: 0,
      purged: 0,
      exportAllMs: 0,
    };
    // The export, in pages of a thousand: every entry once, oldest first.
    const exported: string[] = [];
    for await (const entry of store.audit.between({ environments: ['acme'] })) exported.push(entry.correlationId ?? '');
    expect(exported).toEqual([...Array.from({ length: 2_500 }, (_, i) => `n-${40 * (i + 1)}`), '']); // and the intent just recorded
    const exportStarted = performance.now();
    let count = 0;
    for await (const entry of store.audit.between({})) if (entry.action === 'reset') count++;
    ms.exportAllMs = Math.round(performance.now() - exportStarted);
    expect(count).toBe(100_001); // and the one recorded above
    // Purging as if 10 days later: what is older than 20 days today goes (about 13,600 entries, in two batches).
    const later = new Date(Date.now() + 10 * 86_400_000);
    const cutoff = new Date(later.getTime() - 30 * 86_400_000);
    const { rows: older } = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_entries WHERE time < $1', [cutoff]);
    const purgeStarted = performance.now();
    ms.purged = await store.audit.purge(later);
    ms.purgeMs = Math.round(performance.now() - purgeStarted);
    expect(ms.purged).toBe(older[0]?.n);
    expect(ms.purged).toBeGreaterThan(10_000);
    const { rows: left } = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_entries WHERE time < $1', [cutoff]);
    expect(left[0]?.n).toBe(0);
    console.log(`audit on PostgreSQL with 100,000 entries: ${JSON.stringify(ms)}`);
  });
});

describe('pruning', () => {
  it('removes sign-in attempts that left the window, expired confirmations and expired sessions as new ones are written', async () => {
    let now = new Date('2026-02-10T12:00:00.000Z');
    const store = await open({ clock: () => now });
    await admin.query('TRUNCATE sessions, confirmations, sign_in_attempts');
    const count = async (table: string) => (await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]?.n;

    for (let i = 0; i < 30; i++) await store.signInAttempts.reserve([`k-${i}`]);
    await store.confirmations.issue([binding, binding]);
    await store.sessions.start({
      teamsTenantId: 't',
      aadObjectId: 'old',
      admin: { dn: 'CN=a', guid: '0b5e7a4c-1111-4222-8333-444455556666', pwdLastSet: '1', upn: null, sam: 'a', displayName: 'A' },
      tenantKeys: ['acme'],
      activeTenantKey: null,
    });
    expect([await count('sign_in_attempts'), await count('confirmations'), await count('sessions')]).toEqual([30, 2, 1]);

    now = new Date('2026-02-10T14:00:00.000Z');
    await store.signInAttempts.reserve(['new']);
    await store.confirmations.issue([binding]);
    await store.sessions.start({
      teamsTenantId: 't',
      aadObjectId: 'new',
      admin: { dn: 'CN=a', guid: '0b5e7a4c-1111-4222-8333-444455556666', pwdLastSet: '1', upn: null, sam: 'a', displayName: 'A' },
      tenantKeys: ['acme'],
      activeTenantKey: null,
    });
    expect([await count('sign_in_attempts'), await count('confirmations'), await count('sessions')]).toEqual([1, 1, 1]);
  });

  it('measures time on the database clock by default', async () => {
    const store = await open({ confirmationTtlMinutes: 0.01 }); // 600 ms
    const [token = ''] = await store.confirmations.issue([binding]);
    const [other = ''] = await store.confirmations.issue([binding]);
    expect(await store.confirmations.consume(token, binding)).toBe('ok');
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(await store.confirmations.consume(other, binding)).toBe('expired');
    const { rows } = await admin.query<{ skew_ms: number }>('SELECT abs(extract(epoch FROM (issued_at - now())) * 1000)::int AS skew_ms FROM confirmations LIMIT 1');
    expect(rows[0]?.skew_ms).toBeLessThan(60_000);
  });
});

describe('start-up errors', () => {
  it('names the setting, never its value, for a wrong URL, a missing database or a refused role', async () => {
    const url = new URL(DATABASE_URL);
    const expectConfig = async (target: string, detail: RegExp) => {
      const error = await caught(createPostgresState(options(target)));
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.detail).toMatch(detail);
      expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain('pw-secret');
      expect(String(error.cause ?? '')).not.toContain('pw-secret');
    };
    await expectConfig('mysql://app:pw-secret@127.0.0.1/x', /^DATABASE_URL$/);
    await expectConfig(`postgres://app:pw-secret@${url.host}/no_such_database`, /DATABASE_URL \(no such database\)/);
    await expectConfig(`postgres://nobody:pw-secret@${url.host}/postgres`, /DATABASE_URL \(the database refused the credentials\)/);
  });
});

describe('PostgreSQL restarted or down', () => {
  afterAll(async () => {
    // Whatever happened above, leave the server running for the files after this one.
    await pgCtl('start').catch(() => undefined);
  });

  /** Every part of the store, once; resolves when all of them worked. */
  const exercise = async (store: StateStore, round: string): Promise<void> => {
    await store.ping();
    const session = await store.sessions.start({
      teamsTenantId: 't',
      aadObjectId: round,
      admin: { dn: 'CN=a', guid: '0b5e7a4c-1111-4222-8333-444455556666', pwdLastSet: '1', upn: null, sam: 'a', displayName: 'A' },
      tenantKeys: ['acme'],
      activeTenantKey: null,
    });
    expect(await store.sessions.get('t', round)).toEqual(session);
    const [token = ''] = await store.confirmations.issue([binding]);
    expect(await store.confirmations.consume(token, binding)).toBe('ok');
    expect(await store.signInAttempts.reserve([`k-${round}`])).toEqual({ ok: true });
    const entry = await store.audit.record({ environment: 'acme', admin: { dn: null, upn: null }, action: 'reset', outcome: 'intent', correlationId: round });
    expect(await store.audit.recent({ environment: 'acme', limit: 10 })).toContainEqual(entry);
    expect(await store.runExclusive(`job-${round}`, async () => round)).toBe(round);
  };

  it('the same store works again right after pg_ctl restart, without reopening', async () => {
    const { log, lines } = recordingLog();
    const first = await open({ log });
    const second = await open({ log });
    await Promise.all([exercise(first, 'before-1'), exercise(second, 'before-2')]);

    const restartMs = await pgCtl('restart');
    const started = performance.now();
    await Promise.all([exercise(first, 'after-1'), exercise(second, 'after-2')]);
    const recoveredMs = Math.round(performance.now() - started);
    // The pools noticed their idle connections were cut, and said so without crashing.
    expect(lines.some((l) => l['code'] === 'STATE_CONNECTION_LOST')).toBe(true);
    console.log(`PostgreSQL restart: pg_ctl restart ${restartMs} ms; both instances served again in ${recoveredMs} ms`);
  });

  it('a job running while PostgreSQL restarts ends normally, and the next one can run', async () => {
    const store = await open();
    const other = await open();
    const job = store.runExclusive('reconcile', async () => {
      await pgCtl('restart');
      return 'done';
    });
    expect(await job).toBe('done');
    expect(await other.runExclusive('reconcile', async () => 'next')).toBe('next');
  });

  it('while PostgreSQL is down every call fails at once with a clear error; when it is back, the same store works', async () => {
    const store = await open();
    await exercise(store, 'up');
    await pgCtl('stop');
    try {
      const started = performance.now();
      const failures = await Promise.all([
        caught(store.ping()),
        caught(store.sessions.get('t', 'up')),
        caught(store.confirmations.consume('AAAAAAAAAAAAAAAAAAAAAA', binding)),
        caught(store.signInAttempts.reserve(['k'])),
        caught(store.audit.recent({})),
        caught(store.runExclusive('purge', async () => 'ran')),
        caught(createPostgresState(options(database.url))),
      ]);
      expect(failures.map((e) => e.code)).toEqual(Array(7).fill('STATE_UNAVAILABLE'));
      // The audit says what the caller must act on: nothing is changed in the directory.
      const auditFailure = await caught(store.audit.record({ environment: 'acme', admin: { dn: null, upn: null }, action: 'reset', outcome: 'intent' }));
      expect(auditFailure.code).toBe('AUDIT_WRITE_FAILED');
      expect(isAppError(auditFailure.cause, 'STATE_UNAVAILABLE')).toBe(true);
      const failedMs = Math.round(performance.now() - started);
      expect(failedMs).toBeLessThan(5_000);
      console.log(`PostgreSQL down: 8 calls failed with STATE_UNAVAILABLE / AUDIT_WRITE_FAILED in ${failedMs} ms`);
    } finally {
      await pgCtl('start');
    }
    await exercise(store, 'back');
    expect(TEST_POSTGRES.port).toBeGreaterThan(0);
  });
});
