import { writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mailPassword, resetPassword, type TargetRef } from '../../src/reset/reset-password.js';
import { caught } from '../support/errors.js';
import { bindResult, restoreSeedPassword, setDomainAttribute } from '../support/directory.js';
import { ACME, BASE_DN, HOSTING, SEED_PASSWORD, SERVICE_ACCOUNT } from '../support/fixtures.js';
import { personShaped, resetAsServiceAccount } from '../support/guards.js';
import { adminOf, everythingUnder, startHarness, type Harness } from '../support/harness.js';
import type { Admin } from '../../src/reset/reset-password.js';
import type { Tenant } from '../../src/config/config.js';

let h: Harness;
let hostingAdmin: Admin;
let acmeAdmin: Admin;
/** Accounts only the product's target checks protect (their DACL lets the service account reset them). */
const PROTECTED_VICTIMS = [HOSTING.formerAdmin, HOSTING.lateAdmin, HOSTING.staff, HOSTING.board];
/** Every temporary password a test saw, to prove none was written anywhere. */
const passwordsSeen: string[] = [];

beforeAll(async () => {
  h = await startHarness();
  hostingAdmin = await adminOf(h, HOSTING.admin);
  acmeAdmin = await adminOf(h, ACME.admin);
});

afterEach(async () => {
  h.smtp.refuseWith(null);
  for (const person of [HOSTING.jmus, HOSTING.info, HOSTING.nomail, ACME.jdoe, ...PROTECTED_VICTIMS]) await restoreSeedPassword(person.dn);
});

afterAll(async () => {
  // The rule that never bends: no temporary password under DATA_DIR or in any log line.
  expect(passwordsSeen.length).toBeGreaterThan(0);
  const written = everythingUnder(h.dataDir) + h.logs.join('\n');
  for (const password of passwordsSeen) expect(written).not.toContain(password);
  await h.close();
});


function passwordIn(text: string): string {
  const match = /[A-HJ-NP-Za-km-z2-9]{4}(-[A-HJ-NP-Za-km-z2-9]{1,4}){2,}/.exec(text);
  if (!match) throw new Error('no temporary password in the mail');
  return match[0];
}

describe('mailPassword', () => {
  it('mails jmus a single-use password in English that AD forces to change, and audits the mail', async () => {
    const result = await mailPassword(hostingAdmin, h.hosting, { reference: 'jmus' }, HOSTING.jmus.mail!, 'en', h.core);
    expect(result.status).toBe('mailed');
    if (result.status !== 'mailed') return;
    expect(result.person.sam).toBe('sbf_jmus');

    const mail = await h.smtp.waitForMessage((m) => m.subject?.includes('password') ?? false);
    expect(mail.to && 'text' in mail.to ? mail.to.text : '').toContain(HOSTING.jmus.mail);
    expect(mail.subject).toMatch(/temporary password/i);
    expect(mail.text).toContain('https://wachtwoord.mijnsynergy.nl/');
    const password = passwordIn(mail.text ?? '');
    passwordsSeen.push(password);
    expect(mail.html).toContain(password);

    expect(await bindResult(HOSTING.jmus.upn, password)).toBe('773');
    expect(await bindResult(HOSTING.jmus.upn, SEED_PASSWORD)).toBe('52e');

    const entries = await h.core.audit.recent({ environment: 'hosting', targetSam: 'sbf_jmus' });
    const mailed = entries.find((e) => e.action === 'mail' && e.outcome === 'success');
    expect(mailed?.mail).toMatchObject({ recipient: HOSTING.jmus.mail, language: 'en', messageId: result.messageId });
    expect(mailed?.admin.dn).toBe(HOSTING.admin.dn);
    expect(mailed?.target?.guid).toBe(result.person.guid);
    expect(entries.some((e) => e.action === 'reset' && e.outcome === 'success')).toBe(true);
    expect(entries.some((e) => e.action === 'mail' && e.outcome === 'intent')).toBe(true);
  });

  it('mails in Dutch when NL is chosen', async () => {
    await mailPassword(hostingAdmin, h.hosting, { reference: 'sbf_info' }, 'info@mijnsynergy.nl', 'nl', h.core);
    const mail = await h.smtp.waitForMessage((m) => m.to !== undefined && JSON.stringify(m.to).includes('info@') && /wachtwoord/i.test(m.subject ?? ''));
    expect(mail.text).toMatch(/tijdelijke? wachtwoord/i);
    passwordsSeen.push(passwordIn(mail.text ?? ''));
  });

  it('sends a notice without the password to the employee when the password goes to another address', async () => {
    const before = h.smtp.messages.length;
    const result = await mailPassword(hostingAdmin, h.hosting, { reference: 'jmus' }, 'prive.jmus@example.org', 'en', h.core);
    expect(result.status === 'mailed' && result.noticeSent).toBe(true);
    const fresh = h.smtp.messages.slice(before);
    const toPrivate = fresh.find((m) => JSON.stringify(m.to).includes('prive.jmus@example.org'));
    const notice = fresh.find((m) => JSON.stringify(m.to).includes(HOSTING.jmus.mail!));
    const password = passwordIn(toPrivate?.text ?? '');
    passwordsSeen.push(password);
    expect(notice?.text).toBeDefined();
    expect(notice?.text).not.toContain(password);
    expect(notice?.html).not.toContain(password);
  });

  it('refuses a bad address before anything changes', async () => {
    const error = await caught(mailPassword(hostingAdmin, h.hosting, { reference: 'jmus' }, 'a@b.nl\r\nBcc: x@y.nl', 'en', h.core));
    expect(error.code).toBe('MAIL_ADDRESS_INVALID');
    expect(await bindResult(HOSTING.jmus.upn, SEED_PASSWORD)).toBe('ok');
  });

  it('says "reset, mail failed" and keeps no password when the mail server refuses after the reset', async () => {
    h.smtp.refuseWith(554, 'Transaction failed');
    const result = await mailPassword(hostingAdmin, h.hosting, { reference: 'jmus' }, HOSTING.jmus.mail!, 'en', h.core);
    expect(result.status).toBe('reset-mail-failed');
    if (result.status !== 'reset-mail-failed') return;
    expect(result.error.code).toBe('MAIL_SEND_FAILED');
    expect(Object.keys(result).sort()).toEqual(['error', 'person', 'recipient', 'status']);
    // The password WAS changed: the seed password no longer works.
    expect(await bindResult(HOSTING.jmus.upn, SEED_PASSWORD)).toBe('52e');

    const entries = await h.core.audit.recent({ targetSam: 'sbf_jmus', limit: 5 });
    const [latest, previous] = entries;
    expect(latest).toMatchObject({ action: 'mail', outcome: 'failed', errorCode: 'MAIL_SEND_FAILED' });
    expect(previous).toMatchObject({ action: 'reset', outcome: 'success' });
    expect(latest?.correlationId).toBe(previous?.correlationId);
  });

  it('changes nothing when the mail server is down before the reset', async () => {
    const down = await startHarness({ SMTP_URL: 'smtp://127.0.0.1:1' });
    try {
      const error = await caught(mailPassword(hostingAdmin, down.hosting, { reference: 'jmus' }, HOSTING.jmus.mail!, 'en', down.core));
      expect(error.code).toBe('MAIL_UNREACHABLE');
      expect(await bindResult(HOSTING.jmus.upn, SEED_PASSWORD)).toBe('ok');
      const [latest] = await down.core.audit.recent({ targetSam: 'sbf_jmus' });
      expect(latest).toMatchObject({ action: 'mail', outcome: 'failed', errorCode: 'MAIL_UNREACHABLE' });
    } finally {
      await down.close();
    }
  });
});

describe('resetPassword', () => {
  it('returns a temporary password that AD forces to change at first sign-in', async () => {
    const { person, password } = await resetPassword(hostingAdmin, h.hosting, { reference: 'joman.mus@mijnsynergy.nl' }, h.core);
    passwordsSeen.push(password);
    expect(person.dn).toBe(HOSTING.jmus.dn);
    expect(password).toMatch(/^[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}$/);
    expect(await bindResult(HOSTING.jmus.upn, password)).toBe('773');
    expect(await bindResult(HOSTING.jmus.upn, SEED_PASSWORD)).toBe('52e');
  });

  it("reports AD's policy reason and changes nothing when the policy refuses the password", async () => {
    const previous = await setDomainAttribute('minPwdLength', '30');
    const mailsBefore = h.smtp.messages.length;
    try {
      const error = await caught(resetPassword(hostingAdmin, h.hosting, { reference: 'jmus' }, h.core));
      expect(error.code).toBe('DIRECTORY_POLICY_VIOLATION');
      expect(error.detail).toMatch(/password/i);
      expect(error.userMessage('en')).toContain(error.detail);
    } finally {
      await setDomainAttribute('minPwdLength', previous || '7');
    }
    expect(await bindResult(HOSTING.jmus.upn, SEED_PASSWORD)).toBe('ok');
    const [latest] = await h.core.audit.recent({ targetSam: 'sbf_jmus' });
    expect(latest).toMatchObject({ action: 'reset', outcome: 'failed', errorCode: 'DIRECTORY_POLICY_VIOLATION' });
    expect(h.smtp.messages).toHaveLength(mailsBefore);
  });

  it('stops before the directory changes when the audit log cannot be written', async () => {
    const blocked = await startHarness();
    try {
      // A file where the audit folder should be: every write fails.
      mkdirSync(blocked.dataDir, { recursive: true });
      writeFileSync(join(blocked.dataDir, 'audit'), 'in the way');
      const error = await caught(resetPassword(hostingAdmin, blocked.hosting, { reference: 'jmus' }, blocked.core));
      expect(error.code).toBe('AUDIT_WRITE_FAILED');
      expect(await bindResult(HOSTING.jmus.upn, SEED_PASSWORD)).toBe('ok');
    } finally {
      rmSync(join(blocked.dataDir, 'audit'), { force: true });
      await blocked.close();
    }
  });
});

describe('refusals leave the directory unchanged and are audited', () => {
  const protectedCase = (name: string, victim: { sam: string; upn: string }, detail: string) => ({
    name,
    admin: () => hostingAdmin,
    env: () => h.hosting,
    target: () => ({ reference: victim.sam }),
    code: 'TARGET_PROTECTED',
    detail,
    victim,
  });
  const cases: {
    name: string;
    admin: () => Admin;
    env: () => Tenant;
    target: () => Promise<TargetRef> | TargetRef;
    code: string;
    detail?: string;
    victim: { upn: string };
  }[] = [
    {
      name: 'a target in another environment (Acme account by GUID, from Hosting)',
      admin: () => hostingAdmin,
      env: () => h.hosting,
      target: async () => {
        const [jdoe] = await h.core.directory.resolvePeople(h.acme, 'acme_jdoe');
        return { guid: jdoe!.guid };
      },
      code: 'TARGET_OUTSIDE_ENVIRONMENT',
      victim: ACME.jdoe,
    },
    {
      name: "the Acme admin acting on Hosting's environment",
      admin: () => acmeAdmin,
      env: () => h.hosting,
      target: () => ({ reference: 'jmus' }),
      code: 'ADMIN_SESSION_ENDED',
      detail: 'no longer in the admin group',
      victim: HOSTING.jmus,
    },
    protectedCase('the Domain Admin inside Hosting', HOSTING.domainAdmin, 'adminCount'),
    protectedCase('a member of an admin group (nested)', HOSTING.admin, 'admin group'),
    protectedCase('the second admin (nested admin group)', HOSTING.admin2, 'admin group'),
    protectedCase('an account with an orphaned adminCount=1 and nothing else', HOSTING.formerAdmin, 'adminCount'),
    protectedCase('a Domain Admin through a nested group, without adminCount (only tokenGroups tell)', HOSTING.lateAdmin, 'privileged group'),
    protectedCase("the provider's staff (nested in the tenants file's top-level protected group)", HOSTING.staff, 'protected group'),
    protectedCase("Hosting's board (in the environment's own protected group)", HOSTING.board, 'protected group'),
    { name: 'the DONT_EXPIRE_PASSWD user', admin: () => hostingAdmin, env: () => h.hosting, target: () => ({ reference: 'sbf_noexp' }), code: 'TARGET_PASSWORD_NEVER_EXPIRES', victim: HOSTING.neverExpires },
    { name: 'the computer account', admin: () => hostingAdmin, env: () => h.hosting, target: () => ({ reference: 'SBF-PC01$' }), code: 'DIRECTORY_USER_NOT_FOUND', victim: HOSTING.jmus },
    ...['*', '*)(objectClass=*', '\\00', 'sbf_jmus)(|(cn=*', 'sbf_*'].map((reference) => ({
      name: `the reference ${JSON.stringify(reference)}`,
      admin: () => hostingAdmin,
      env: () => h.hosting,
      target: () => ({ reference }),
      code: 'DIRECTORY_USER_NOT_FOUND',
      victim: HOSTING.jmus,
    })),
    { name: 'a reference with a NUL character', admin: () => hostingAdmin, env: () => h.hosting, target: () => ({ reference: 'jmus\u0000' }), code: 'INPUT_INVALID', victim: HOSTING.jmus },
  ];

  for (const c of cases) {
    it(`refuses ${c.name}`, async () => {
      const target = await c.target();
      const error = await caught(resetPassword(c.admin(), c.env(), target, h.core));
      expect(error.code).toBe(c.code);
      expect(error.detail).toBe(c.detail);
      expect(await bindResult(c.victim.upn, SEED_PASSWORD)).toBe('ok');
      const [latest] = await h.core.audit.recent({ environment: c.env().key, limit: 1 });
      expect(latest).toMatchObject({ action: 'reset', outcome: 'refused', errorCode: c.code });
      expect(latest?.detail ?? undefined).toBe(c.detail);
      expect(latest?.admin.dn).toBe(c.admin().identity.dn);
    });
  }

  it('refuses them by mail too, mailing nothing', async () => {
    const mailsBefore = h.smtp.messages.length;
    for (const victim of PROTECTED_VICTIMS) {
      const error = await caught(mailPassword(hostingAdmin, h.hosting, { reference: victim.sam }, victim.mail!, 'en', h.core));
      expect(error.code).toBe('TARGET_PROTECTED');
      expect(await bindResult(victim.upn, SEED_PASSWORD)).toBe('ok');
    }
    expect(h.smtp.messages).toHaveLength(mailsBefore);
  });
});

describe('what the refusals protect: the directory itself would let the service account do it', () => {
  // As test/directory/samba-dc.test.ts shows for formerAdmin and lateAdmin ("lets the service
  // account reset a Domain Admin that the protection step has not reached"): their DACLs are
  // inherited from the OU, so without the product's check the reset would have gone through.
  PROTECTED_VICTIMS.forEach((victim, i) => {
    it(`the service account can reset ${victim.sam} directly`, async () => {
      const temporary = `Tijdelijk-Wachtwoord-${60 + i}!`;
      await resetAsServiceAccount(victim.dn, temporary);
      try {
        expect(await bindResult(victim.upn, temporary)).toBe('773');
        expect(await bindResult(victim.upn, SEED_PASSWORD)).toBe('52e');
      } finally {
        await restoreSeedPassword(victim.dn);
      }
      expect(await bindResult(victim.upn, SEED_PASSWORD)).toBe('ok');
    });
  });
});

describe('assertResettable re-reads the target by objectGUID, whatever the card said', () => {
  /** A provider that configured an environment too broadly: the domain's Users container. */
  const tooBroad = (): Tenant => ({ ...h.hosting, key: 'too-broad', baseDn: `CN=Users,${BASE_DN}`, protectedGroupDns: [] });

  it('refuses an Acme person from Hosting, even when the card claims a Hosting DN', async () => {
    const [jdoe] = await h.core.directory.resolvePeople(h.acme, 'acme_jdoe');
    expect((await caught(h.core.directory.assertResettable(h.hosting, jdoe!))).code).toBe('TARGET_OUTSIDE_ENVIRONMENT');
    const disguised = { ...jdoe!, dn: HOSTING.jmus.dn, sam: HOSTING.jmus.sam };
    expect((await caught(h.core.directory.assertResettable(h.hosting, disguised))).code).toBe('TARGET_OUTSIDE_ENVIRONMENT');
    // In its own environment the same person may be reset.
    expect((await h.core.directory.assertResettable(h.acme, jdoe!)).dn).toBe(ACME.jdoe.dn);
  });

  it('refuses an object outside the environment before reading anything else about it (a foreign security principal)', async () => {
    // Its tokenGroups are empty: only the scope check on the returned DN, made first, refuses it as outside.
    const fsp = await personShaped(`CN=S-1-5-11,CN=ForeignSecurityPrincipals,${BASE_DN}`);
    const error = await caught(h.core.directory.assertResettable(h.hosting, { ...fsp, dn: HOSTING.jmus.dn }));
    expect(error.code).toBe('TARGET_OUTSIDE_ENVIRONMENT');
  });

  it('refuses the computer account inside Hosting as not a person', async () => {
    const computer = await personShaped(HOSTING.computer.dn);
    const error = await caught(h.core.directory.assertResettable(h.hosting, computer));
    expect(error.code).toBe('TARGET_NOT_PERSON');
    expect(error.detail).toBeUndefined();
  });

  it('refuses krbtgt in an environment configured too broadly', async () => {
    const krbtgt = await personShaped(`CN=krbtgt,CN=Users,${BASE_DN}`);
    const error = await caught(h.core.directory.assertResettable(tooBroad(), krbtgt));
    expect(error.code).toBe('TARGET_PROTECTED');
    expect(error.detail).toBe('krbtgt');
  });

  it('refuses the service account itself in an environment configured too broadly', async () => {
    const service = await personShaped(SERVICE_ACCOUNT.dn);
    const error = await caught(h.core.directory.assertResettable(tooBroad(), service));
    expect(error.code).toBe('TARGET_PROTECTED');
    expect(error.detail).toBe('service account');
    expect(await bindResult(SERVICE_ACCOUNT.dn, SERVICE_ACCOUNT.password)).toBe('ok');
  });

  it("protects the board by Hosting's own list and the staff by the top-level list", async () => {
    const [board] = await h.core.directory.resolvePeople(h.hosting, HOSTING.board.sam);
    const [staff] = await h.core.directory.resolvePeople(h.hosting, HOSTING.staff.sam);
    const withoutOwnList: Tenant = { ...h.hosting, protectedGroupDns: [] };
    expect((await h.core.directory.assertResettable(withoutOwnList, board!)).dn).toBe(HOSTING.board.dn);
    const error = await caught(h.core.directory.assertResettable(withoutOwnList, staff!));
    expect([error.code, error.detail]).toEqual(['TARGET_PROTECTED', 'protected group']);
  });
});

describe('resolving what the admin typed', () => {
  it('finds sbf_jmus for "jmus" in Hosting', async () => {
    const people = await h.core.directory.resolvePeople(h.hosting, 'jmus');
    expect(people.map((p) => p.sam)).toEqual(['sbf_jmus']);
    expect(people[0]).toMatchObject({ displayName: 'Joman Mus', upn: HOSTING.jmus.upn, mail: HOSTING.jmus.mail });
  });

  it('finds by UPN, by mail and by the start of a name', async () => {
    expect((await h.core.directory.resolvePeople(h.hosting, 'joman.mus@mijnsynergy.nl')).map((p) => p.sam)).toEqual(['sbf_jmus']);
    expect((await h.core.directory.resolvePeople(h.hosting, 'Joman')).map((p) => p.sam)).toEqual(['sbf_jmus']);
    expect((await h.core.directory.resolvePeople(h.hosting, 'Werknemer 1')).length).toBe(10);
  });

  it('gives the Acme admin no Hosting account, whatever they type', async () => {
    for (const reference of ['sbf_jmus', 'joman.mus@mijnsynergy.nl', 'Joman', 'Info']) {
      expect(await h.core.directory.resolvePeople(h.acme, reference)).toEqual([]);
    }
    expect((await h.core.directory.resolvePeople(h.acme, 'jmus')).map((p) => p.sam)).toEqual(['acme_jmus']);
  });
});
