/**
 * The follow-up job's guards, against the real test DC (the chat side is in
 * test/bot/follow-up.test.ts): it replaces only what is still this reset's temporary password,
 * never an account the bot may not reset, and forgets what left the environment.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { followUpResets, type FollowUpDeps, type FollowUpEvent } from '../../src/reset/follow-up.js';
import { linkMailDeps, mailLink } from '../../src/reset/mail-link.js';
import { resetPassword, type Admin } from '../../src/reset/reset-password.js';
import type { PendingReset, PendingResetStore } from '../../src/state/chat.js';
import { Attribute, Change } from 'ldapts';
import { asDomainAdmin, bindResult, changeOwnPassword, restoreSeedPassword } from '../support/directory.js';
import { HOSTING, SEED_PASSWORD } from '../support/fixtures.js';
import { adminOf, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
let admin: Admin;
const told: FollowUpEvent[] = [];

beforeAll(async () => {
  h = await startHarness({ PUBLIC_URL: 'http://127.0.0.1:3978' });
  admin = { ...(await adminOf(h, HOSTING.admin)), teamsId: 'admin-user', teamsTenantId: 'hosting-tenant' };
});

afterEach(async () => {
  told.length = 0;
  for (const r of await h.state.pendingResets.list()) await h.state.pendingResets.settle(r.accountGuid, r.resetAt);
  for (const person of [HOSTING.jmus, HOSTING.avries, HOSTING.domainAdmin]) await restoreSeedPassword(person.dn);
});

afterAll(async () => {
  await h?.close();
});

/** The job as the bot runs it, seen `minutesLater` minutes from now, with the store given. */
function job(pendingResets: PendingResetStore, minutesLater: number): FollowUpDeps {
  return {
    directory: h.core.directory,
    audit: h.core.audit,
    log: h.core.log,
    pendingResets,
    tenants: h.config.tenants,
    tempPasswordMaxMinutes: 60,
    tell: async (event) => {
      told.push(event);
    },
    clock: () => new Date(Date.now() + minutesLater * 60_000),
  };
}

const keyVersion = async (guid: string): Promise<number> => (await h.core.directory.passwordVersion(guid))!.keyVersion;

describe('the follow-up job', () => {
  it('records every temporary password the bot sets for the admin who set it, and waits while it is young', async () => {
    const { person, password } = await resetPassword(admin, h.hosting, { reference: 'sbf_jmus' }, h.core);
    const pending = await h.state.pendingResets.get(person.guid);
    expect(pending).toMatchObject({ accountGuid: person.guid, tenantKey: 'hosting', accountName: 'Joman Mus', admin: { teamsTenantId: 'hosting-tenant', aadObjectId: 'admin-user', dn: HOSTING.admin.dn } });
    expect(JSON.stringify(pending)).not.toContain(password);
    expect(await followUpResets(job(h.state.pendingResets, 59))).toMatchObject({ waiting: 1, expired: 0 });
    expect(await bindResult(HOSTING.jmus.upn, password)).toBe('773');
    expect(await followUpResets(job(h.state.pendingResets, 61))).toMatchObject({ expired: 1 });
    expect(await bindResult(HOSTING.jmus.upn, password)).toBe('52e');
    expect(told.map((e) => e.kind)).toEqual(['expired']);
    expect(await h.state.pendingResets.get(person.guid)).toBeNull();
  });

  it('does not replace the password of a newer reset made after its list was read', async () => {
    const { person } = await resetPassword(admin, h.hosting, { reference: 'sbf_avries' }, h.core);
    const old = (await h.state.pendingResets.get(person.guid))!;
    // Meanwhile (another instance) the admin resets again: the list read before still has the old one.
    const { password: newer } = await resetPassword(admin, h.hosting, { reference: 'sbf_avries' }, h.core);
    const stale: PendingResetStore = { ...h.state.pendingResets, list: async () => [old] };
    const before = await keyVersion(person.guid);
    expect(await followUpResets(job(stale, 120))).toMatchObject({ waiting: 1, expired: 0 });
    expect(await keyVersion(person.guid)).toBe(before);
    expect(await bindResult(HOSTING.avries.upn, newer)).toBe('773');
    expect(told).toEqual([]);
  });

  it('never changes an account the bot may not reset (here a Domain Admin), and forgets it', async () => {
    const guid = (await h.core.directory.resolvePeople(h.hosting, 'sbf_dadmin'))[0]!.guid;
    const forged: PendingReset = {
      accountGuid: guid,
      tenantKey: 'hosting',
      accountName: 'Hosting Domain Admin',
      admin: { teamsTenantId: 'hosting-tenant', aadObjectId: 'admin-user', dn: HOSTING.admin.dn, sam: HOSTING.admin.sam },
      resetAt: new Date(Date.now() - 3 * 60 * 60_000).toISOString(),
    };
    // pwdLastSet=0 as after a reset, so that only the protection rule stands in the way.
    await asDomainAdmin((c) => c.modify(HOSTING.domainAdmin.dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'pwdLastSet', values: ['0'] }) })));
    await h.state.pendingResets.put(forged);
    const before = await h.core.directory.passwordVersion(guid);
    const summary = await followUpResets(job(h.state.pendingResets, 0));
    expect(summary.expired).toBe(0);
    expect((await h.core.directory.passwordVersion(guid))!.keyVersion).toBe(before!.keyVersion);
    expect(await h.state.pendingResets.get(guid)).toBeNull();
    expect(told).toEqual([]);
  });

  it('link mode: tells the admin when the employee has set a password, or that the link expired unused, and changes nothing itself', async () => {
    const avries = (await h.core.directory.resolvePeople(h.hosting, 'sbf_avries'))[0]!;
    const jmus = (await h.core.directory.resolvePeople(h.hosting, 'sbf_jmus'))[0]!;
    const sent = (person: { guid: string; displayName: string }, kv: number, expiresInMinutes: number): PendingReset => ({
      accountGuid: person.guid,
      tenantKey: 'hosting',
      accountName: person.displayName,
      admin: { teamsTenantId: 'hosting-tenant', aadObjectId: 'admin-user', dn: HOSTING.admin.dn, sam: HOSTING.admin.sam },
      resetAt: new Date().toISOString(),
      link: { keyVersion: kv, expiresAt: new Date(Date.now() + expiresInMinutes * 60_000).toISOString() },
    });
    const jmusVersion = await keyVersion(jmus.guid);
    await h.state.pendingResets.put(sent(avries, await keyVersion(avries.guid), 60));
    await h.state.pendingResets.put(sent(jmus, jmusVersion, -1));
    // The account keeps working while a link waits: pwdLastSet is not 0, which is no choice yet.
    expect(await followUpResets(job(h.state.pendingResets, 0))).toMatchObject({ waiting: 1, expired: 1, chosen: 0 });
    expect(told.map((e) => [e.kind, e.reset.accountName])).toEqual([['link-expired', 'Joman Mus']]);
    expect(await keyVersion(jmus.guid)).toBe(jmusVersion);
    expect(await bindResult(HOSTING.jmus.upn, SEED_PASSWORD)).toBe('ok');

    await changeOwnPassword(HOSTING.avries.dn, SEED_PASSWORD, `Eigen-${Date.now()}-Cc3`);
    expect(await followUpResets(job(h.state.pendingResets, 0))).toMatchObject({ chosen: 1 });
    expect(told.map((e) => [e.kind, e.reset.accountName])).toEqual([['link-expired', 'Joman Mus'], ['chosen', 'Anna de Vries']]);
    expect(await h.state.pendingResets.list()).toEqual([]);
  });

  it('records a mailed link (link mode) with the key version read at issue and its expiry, for the admin who sent it', async () => {
    const { person, expiresAt } = await mailLink(admin, h.hosting, { reference: 'sbf_bjansen' }, 'bert.jansen@mijnsynergy.nl', 'en', linkMailDeps(h.core));
    const pending = await h.state.pendingResets.get(person.guid);
    expect(pending).toMatchObject({
      accountName: 'Bert Jansen',
      admin: { teamsTenantId: 'hosting-tenant', aadObjectId: 'admin-user' },
      link: { keyVersion: await keyVersion(person.guid), expiresAt: expiresAt.toISOString() },
    });
    expect(await followUpResets(job(h.state.pendingResets, 0))).toMatchObject({ waiting: 1 });
  });

  it('forgets an account of another environment, or of one no longer configured, without touching it', async () => {
    const jdoe = (await h.core.directory.resolvePeople(h.acme, 'acme_jdoe'))[0]!;
    const base = { accountName: 'John Doe', admin: { teamsTenantId: 't', aadObjectId: 'u', dn: HOSTING.admin.dn, sam: HOSTING.admin.sam }, resetAt: new Date(Date.now() - 3 * 60 * 60_000).toISOString() };
    await h.state.pendingResets.put({ ...base, accountGuid: jdoe.guid, tenantKey: 'hosting' });
    const before = await keyVersion(jdoe.guid);
    expect(await followUpResets(job(h.state.pendingResets, 0))).toMatchObject({ dropped: 1, expired: 0 });
    await h.state.pendingResets.put({ ...base, accountGuid: jdoe.guid, tenantKey: 'gone' });
    expect(await followUpResets(job(h.state.pendingResets, 0))).toMatchObject({ dropped: 1, expired: 0 });
    expect(await keyVersion(jdoe.guid)).toBe(before);
    expect(await h.state.pendingResets.list()).toEqual([]);
  });
});
