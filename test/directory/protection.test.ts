/**
 * The target checks as a pure function: starting from an ordinary person who may be reset, each
 * case changes one fact so that exactly one guard applies, and expects that guard's code and detail.
 * Removing any one guard from src/directory/protection.ts makes one of these fail.
 */
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors/catalog.js';
import { assertSorted } from '../../src/directory/ldap-directory.js';
import { privilegedSids, refusalFor, type ProtectionContext, type TargetFacts } from '../../src/directory/protection.js';

const DOMAIN_SID = 'S-1-5-21-1111111111-2222222222-3333333333';
/** A child domain's own SID and its forest root's: Enterprise and Schema Admins live in the root. */
const CHILD_DOMAIN_SID = 'S-1-5-21-4444444444-5555555555-6666666666';
const FOREST_ROOT_SID = 'S-1-5-21-7777777777-8888888888-9999999999';

const BASE_DN = 'OU=Hosting,OU=Tenants,DC=corp,DC=test';
const SERVICE_DN = 'CN=svc-pwreset,CN=Users,DC=corp,DC=test';

/** A single-domain forest, as the test DC is: the forest root is the user's own domain. */
const context: ProtectionContext = { baseDn: BASE_DN, serviceAccountDn: SERVICE_DN, domainSid: DOMAIN_SID, forestRootSid: DOMAIN_SID };
const childContext: ProtectionContext = { ...context, domainSid: CHILD_DOMAIN_SID, forestRootSid: FOREST_ROOT_SID };

/** Joman Mus: a person inside Hosting, in Domain Users (513) and builtin Users (S-1-5-32-545) only. */
function ordinary(domainSid = DOMAIN_SID): TargetFacts {
  return {
    dn: `CN=Joman Mus,${BASE_DN}`,
    isPerson: true,
    sid: `${domainSid}-1105`,
    sam: 'sbf_jmus',
    adminCount: false,
    groupSids: new Set([`${domainSid}-513`, 'S-1-5-32-545']),
    inAdminGroup: false,
    inProtectedGroup: false,
    passwordNeverExpires: false,
  };
}

const withGroup = (sid: string, domainSid = DOMAIN_SID): TargetFacts => {
  const facts = ordinary(domainSid);
  return { ...facts, groupSids: new Set([...facts.groupSids, sid]) };
};

function expectRefusal(refusal: AppError | null, code: string, detail?: string): void {
  expect(refusal).toBeInstanceOf(AppError);
  expect(refusal?.code).toBe(code);
  expect(refusal?.detail).toBe(detail);
}

describe('refusalFor', () => {
  it('lets an ordinary person of the environment be reset', () => {
    expect(refusalFor(ordinary(), context)).toBeNull();
    expect(refusalFor(ordinary(CHILD_DOMAIN_SID), childContext)).toBeNull();
    // Deeper inside the environment, and the base DN written in another case and spacing.
    expect(refusalFor({ ...ordinary(), dn: `CN=Joman Mus,OU=Sales,${BASE_DN}` }, context)).toBeNull();
    expect(refusalFor(ordinary(), { ...context, baseDn: 'ou=hosting, ou=tenants, dc=CORP, dc=TEST' })).toBeNull();
  });

  describe('refuses a target outside the environment (the DN the server returned, parsed)', () => {
    const outside: [string, string][] = [
      ['another environment', 'CN=John Doe,OU=Acme,OU=Tenants,DC=corp,DC=test'],
      ['a sibling OU whose name starts the same (OU=Hosting2)', 'CN=Joman Mus,OU=Hosting2,OU=Tenants,DC=corp,DC=test'],
      ['a sibling OU ending the same (OU=OldHosting)', 'CN=Joman Mus,OU=OldHosting,OU=Tenants,DC=corp,DC=test'],
      // The string ends with ",OU=Hosting,OU=Tenants,DC=corp,DC=test", but "Evil,OU=Hosting" is one RDN value.
      ['an escaped comma that fakes the suffix', 'CN=Mallory,OU=Evil\\,OU=Hosting,OU=Tenants,DC=corp,DC=test'],
      ['the parent OU', 'CN=Joman Mus,OU=Tenants,DC=corp,DC=test'],
      ['the domain\'s Users container', 'CN=Administrator,CN=Users,DC=corp,DC=test'],
      ['another domain with the same OUs', 'CN=Joman Mus,OU=Hosting,OU=Tenants,DC=corp,DC=evil'],
    ];
    for (const [name, dn] of outside) {
      it(name, () => {
        expectRefusal(refusalFor({ ...ordinary(), dn }, context), 'TARGET_OUTSIDE_ENVIRONMENT', undefined);
      });
    }

    it('never lets an unparsable DN through', () => {
      let result: AppError | null | undefined;
      try {
        result = refusalFor({ ...ordinary(), dn: `CN=Bad"Quote,${BASE_DN}` }, context);
      } catch {
        result = undefined; // throwing refuses too
      }
      expect(result).not.toBeNull();
    });
  });

  it('refuses what is not a person (a computer, a managed service account)', () => {
    expectRefusal(refusalFor({ ...ordinary(), isPerson: false }, context), 'TARGET_NOT_PERSON', undefined);
  });

  it('refuses krbtgt by its RID (502 of the domain), whatever it is called', () => {
    expectRefusal(refusalFor({ ...ordinary(), sid: `${DOMAIN_SID}-502`, sam: 'not-krbtgt' }, context), 'TARGET_PROTECTED', 'krbtgt');
    expectRefusal(
      refusalFor({ ...ordinary(CHILD_DOMAIN_SID), sid: `${CHILD_DOMAIN_SID}-502`, sam: 'x' }, childContext),
      'TARGET_PROTECTED',
      'krbtgt',
    );
  });

  it('refuses krbtgt by its name, in any case, whatever its RID', () => {
    expectRefusal(refusalFor({ ...ordinary(), sam: 'krbtgt' }, context), 'TARGET_PROTECTED', 'krbtgt');
    expectRefusal(refusalFor({ ...ordinary(), sam: 'KrbTgt' }, context), 'TARGET_PROTECTED', 'krbtgt');
  });

  it('refuses the service account itself, its DN compared parsed', () => {
    const users: ProtectionContext = { ...context, baseDn: 'CN=Users,DC=corp,DC=test' };
    expectRefusal(refusalFor({ ...ordinary(), dn: SERVICE_DN, sam: 'svc-pwreset' }, users), 'TARGET_PROTECTED', 'service account');
    // The same DN written differently, and a name that says nothing.
    expectRefusal(refusalFor({ ...ordinary(), dn: 'cn=SVC-PWRESET, cn=users, dc=CORP, dc=test', sam: 'whatever' }, users), 'TARGET_PROTECTED', 'service account');
    // Another account of the same container is not the service account.
    expect(refusalFor({ ...ordinary(), dn: 'CN=svc-other,CN=Users,DC=corp,DC=test' }, users)).toBeNull();
  });

  it('refuses an account with adminCount=1', () => {
    expectRefusal(refusalFor({ ...ordinary(), adminCount: true }, context), 'TARGET_PROTECTED', 'adminCount');
  });

  describe('refuses a member of a privileged group (tokenGroups: nested and primary groups included)', () => {
    const domainGroups: [string, number][] = [
      ['Domain Admins', 512],
      ['Domain Controllers', 516],
      ['Read-only Domain Controllers', 521],
      ['Key Admins', 526],
    ];
    for (const [name, rid] of domainGroups) {
      it(`${name} (${rid}) of the user's domain`, () => {
        expectRefusal(refusalFor(withGroup(`${DOMAIN_SID}-${rid}`), context), 'TARGET_PROTECTED', 'privileged group');
        expectRefusal(refusalFor(withGroup(`${CHILD_DOMAIN_SID}-${rid}`, CHILD_DOMAIN_SID), childContext), 'TARGET_PROTECTED', 'privileged group');
      });
    }

    const forestGroups: [string, number][] = [
      ['Schema Admins', 518],
      ['Enterprise Admins', 519],
      ['Enterprise Key Admins', 527],
    ];
    for (const [name, rid] of forestGroups) {
      it(`${name} (${rid}) of the forest root, in a single-domain forest`, () => {
        expectRefusal(refusalFor(withGroup(`${DOMAIN_SID}-${rid}`), context), 'TARGET_PROTECTED', 'privileged group');
      });
    }

    it('Enterprise Admins (519) of the FOREST ROOT when the user is in a child domain', () => {
      expectRefusal(refusalFor(withGroup(`${FOREST_ROOT_SID}-519`, CHILD_DOMAIN_SID), childContext), 'TARGET_PROTECTED', 'privileged group');
      expectRefusal(refusalFor(withGroup(`${FOREST_ROOT_SID}-518`, CHILD_DOMAIN_SID), childContext), 'TARGET_PROTECTED', 'privileged group');
    });

    it('but not 519 relative to the child domain\'s SID: no such group exists there', () => {
      expect(refusalFor(withGroup(`${CHILD_DOMAIN_SID}-519`, CHILD_DOMAIN_SID), childContext)).toBeNull();
      expect(refusalFor(withGroup(`${CHILD_DOMAIN_SID}-518`, CHILD_DOMAIN_SID), childContext)).toBeNull();
    });

    const builtins: [string, string][] = [
      ['Administrators', 'S-1-5-32-544'],
      ['Account Operators', 'S-1-5-32-548'],
      ['Server Operators', 'S-1-5-32-549'],
      ['Print Operators', 'S-1-5-32-550'],
      ['Backup Operators', 'S-1-5-32-551'],
    ];
    for (const [name, sid] of builtins) {
      it(`builtin ${name} (${sid})`, () => {
        expectRefusal(refusalFor(withGroup(sid), context), 'TARGET_PROTECTED', 'privileged group');
      });
    }

    it('but not ordinary groups: Domain Users, Domain Guests, builtin Users, another domain\'s 512', () => {
      for (const sid of [`${DOMAIN_SID}-513`, `${DOMAIN_SID}-514`, 'S-1-5-32-545', `${DOMAIN_SID}-1200`, `${FOREST_ROOT_SID}-512`]) {
        expect(refusalFor(withGroup(sid), context)).toBeNull();
      }
    });
  });

  it('refuses a member of any environment\'s admin group', () => {
    expectRefusal(refusalFor({ ...ordinary(), inAdminGroup: true }, context), 'TARGET_PROTECTED', 'admin group');
  });

  it('refuses a member of a protected group', () => {
    expectRefusal(refusalFor({ ...ordinary(), inProtectedGroup: true }, context), 'TARGET_PROTECTED', 'protected group');
  });

  it('refuses an account whose password never expires (pwdLastSet=0 would not force the change)', () => {
    expectRefusal(refusalFor({ ...ordinary(), passwordNeverExpires: true }, context), 'TARGET_PASSWORD_NEVER_EXPIRES', undefined);
  });

  it('for an unlock, refuses the same accounts, except for "password never expires" (no password changes)', () => {
    expect(refusalFor({ ...ordinary(), passwordNeverExpires: true }, context, 'unlock')).toBeNull();
    expectRefusal(refusalFor({ ...ordinary(), adminCount: true }, context, 'unlock'), 'TARGET_PROTECTED', 'adminCount');
    expectRefusal(refusalFor({ ...ordinary(), inAdminGroup: true }, context, 'unlock'), 'TARGET_PROTECTED', 'admin group');
    expectRefusal(refusalFor({ ...ordinary(), inProtectedGroup: true }, context, 'unlock'), 'TARGET_PROTECTED', 'protected group');
    expectRefusal(refusalFor(withGroup(`${DOMAIN_SID}-512`), context, 'unlock'), 'TARGET_PROTECTED', 'privileged group');
    expectRefusal(refusalFor({ ...ordinary(), dn: 'CN=Jan,OU=Acme,OU=Tenants,DC=corp,DC=test' }, context, 'unlock'), 'TARGET_OUTSIDE_ENVIRONMENT', undefined);
  });

  it('answers with the first guard that applies, scope first', () => {
    const everything: TargetFacts = {
      ...withGroup(`${DOMAIN_SID}-512`),
      sid: `${DOMAIN_SID}-502`,
      sam: 'krbtgt',
      adminCount: true,
      inAdminGroup: true,
      inProtectedGroup: true,
      passwordNeverExpires: true,
    };
    expectRefusal(refusalFor({ ...everything, dn: 'CN=krbtgt,CN=Users,DC=corp,DC=test' }, context), 'TARGET_OUTSIDE_ENVIRONMENT', undefined);
    expectRefusal(refusalFor({ ...everything, isPerson: false }, context), 'TARGET_NOT_PERSON', undefined);
    expectRefusal(refusalFor(everything, context), 'TARGET_PROTECTED', 'krbtgt');
  });
});

describe('privilegedSids', () => {
  it('names the domain groups by the domain SID, the forest groups by the forest root SID, and the builtins', () => {
    expect([...privilegedSids(CHILD_DOMAIN_SID, FOREST_ROOT_SID)].sort()).toEqual(
      [
        `${CHILD_DOMAIN_SID}-512`,
        `${CHILD_DOMAIN_SID}-516`,
        `${CHILD_DOMAIN_SID}-521`,
        `${CHILD_DOMAIN_SID}-526`,
        `${FOREST_ROOT_SID}-518`,
        `${FOREST_ROOT_SID}-519`,
        `${FOREST_ROOT_SID}-527`,
        'S-1-5-32-544',
        'S-1-5-32-548',
        'S-1-5-32-549',
        'S-1-5-32-550',
        'S-1-5-32-551',
      ].sort(),
    );
  });

  it('in a single-domain forest, all relative to the one domain', () => {
    const sids = privilegedSids(DOMAIN_SID, DOMAIN_SID);
    for (const rid of [512, 516, 518, 519, 521, 526, 527]) expect(sids.has(`${DOMAIN_SID}-${rid}`)).toBe(true);
    expect(sids.has(`${DOMAIN_SID}-513`)).toBe(false);
  });
});

describe('assertSorted (the check that the directory honoured the sort control)', () => {
  const thrown = (names: string[], reverse: boolean): unknown => {
    try {
      assertSorted(names, reverse);
    } catch (error) {
      return error;
    }
    return undefined;
  };

  it('passes names in order, ties and case included', () => {
    expect(thrown(['Aaron Aal', 'anna de Vries', 'Bert Jansen', 'Jan de Vries', 'Jan de Vries', 'jan de vries', 'Zora Zwart'], false)).toBeUndefined();
    expect(thrown([], false)).toBeUndefined();
    expect(thrown(['Only One'], true)).toBeUndefined();
  });

  it('throws DIRECTORY_ERROR for names out of order', () => {
    for (const names of [['Bert Jansen', 'Aaron Aal'], ['Aaron Aal', 'Zora Zwart', 'Jan de Vries'], ['Werknemer 10', 'Werknemer 09']]) {
      const error = thrown(names, false);
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('DIRECTORY_ERROR');
      expect((error as AppError).detail).toMatch(/out of order/);
    }
  });

  it('expects descending order when paging back', () => {
    expect(thrown(['Zora Zwart', 'Jan de Vries', 'Jan de Vries', 'Aaron Aal'], true)).toBeUndefined();
    const error = thrown(['Aaron Aal', 'Zora Zwart'], true);
    expect((error as AppError).code).toBe('DIRECTORY_ERROR');
    // And ascending order is out of order for a reverse request, descending for a forward one.
    expect((thrown(['Zora Zwart', 'Aaron Aal'], false) as AppError).code).toBe('DIRECTORY_ERROR');
  });

  it('does not compare names with accents or punctuation (directories collate them differently)', () => {
    expect(thrown(['Zoë Zwart', 'Aaron Aal'], false)).toBeUndefined();
    expect(thrown(['Aaron Aal', 'Émile Zola', 'Bert Jansen'], false)).toBeUndefined();
    expect(thrown(['Piet de Vries (komma)', 'Plus+Min', 'Aaron Aal'], false)).toBeUndefined();
    expect(thrown(['O\'Brien', 'Aaron Aal'], true)).toBeUndefined();
    // They are skipped, not a reset of the comparison: the plain names around them still count.
    expect((thrown(['Zora Zwart', 'Émile Zola', 'Aaron Aal'], false) as AppError).code).toBe('DIRECTORY_ERROR');
  });
});
