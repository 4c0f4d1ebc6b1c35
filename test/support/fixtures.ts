/**
 * What the test directory holds: the Samba AD DC that test/support/global-setup.ts provisions with
 * scripts/samba-dc.sh (seed in scripts/seed/). Test code names accounts through these constants only.
 */
import { BASE_DN } from './dc-accounts.js';

/** This run's DC: its loopback address and folder, chosen per run by global-setup.ts. */
export { DC_CA_FILE, DC_DIR, DC_IP, LDAP_URL, LDAPS_URL } from './test-dc.js';
export { BASE_DN, DOMAIN_ADMIN, SEED_PASSWORD, SERVICE_ACCOUNT } from './dc-accounts.js';

export const NETBIOS = 'CORP';
export const TENANTS_OU = `OU=Tenants,${BASE_DN}`;
export const HOSTING_OU = `OU=Hosting,${TENANTS_OU}`;
export const ACME_OU = `OU=Acme,${TENANTS_OU}`;
export const FABRIKAM_OU = `OU=Fabrikam,${TENANTS_OU}`;

/** The provider's own staff groups, outside the tenants: Provider Support is nested in Provider Staff. */
export const PROVIDER_STAFF_GROUP_DN = `CN=Provider Staff,CN=Users,${BASE_DN}`;
export const PROVIDER_SUPPORT_GROUP_DN = `CN=Provider Support,CN=Users,${BASE_DN}`;
export const DOMAIN_ADMINS_GROUP_DN = `CN=Domain Admins,CN=Users,${BASE_DN}`;

/** The Teams tenant id of Fabrikam's environment (for the tenants file of the harness). */
export const FABRIKAM_TEAMS_TENANT = '33333333-3333-4333-8333-333333333333';

export interface SeedPerson {
  dn: string;
  sam: string;
  upn: string;
  mail?: string;
  displayName: string;
}

function person(ou: string, cn: string, sam: string, upn: string, mail?: string, displayName = cn): SeedPerson {
  return { dn: `CN=${cn},${ou}`, sam, upn, ...(mail ? { mail } : {}), displayName };
}

/** A person whose CN needs RFC 4514 escapes: `rdn` is the escaped form, as the DC returns it in DNs. */
function oddPerson(ou: string, rdn: string, displayName: string, sam: string, upn: string): SeedPerson {
  return { dn: `CN=${rdn},${ou}`, sam, upn, mail: upn, displayName };
}

export const HOSTING = {
  key: 'hosting',
  name: 'Hosting',
  baseDn: HOSTING_OU,
  /** The admin group; Hosting Helpdesk is nested inside it and holds the admin. */
  adminGroupDn: `CN=Hosting Admins,${HOSTING_OU}`,
  /** Holds admin and admin2. */
  helpdeskGroupDn: `CN=Hosting Helpdesk,${HOSTING_OU}`,
  /** Global security group holding board. */
  boardGroupDn: `CN=Hosting Directie,${HOSTING_OU}`,
  /** Global security group holding lateAdmin; itself a member of Domain Admins. */
  escalationGroupDn: `CN=Hosting Escalation,${HOSTING_OU}`,
  samPrefix: 'sbf_',
  admin: person(HOSTING_OU, 'Hosting Admin', 'sbf_admin', 'admin@mijnsynergy.nl', 'admin@mijnsynergy.nl'),
  info: person(HOSTING_OU, 'Info SBF', 'sbf_info', 'info@mijnsynergy.nl', 'info@mijnsynergy.nl'),
  jmus: person(HOSTING_OU, 'Joman Mus', 'sbf_jmus', 'joman.mus@mijnsynergy.nl', 'joman.mus@mijnsynergy.nl'),
  avries: person(HOSTING_OU, 'Anna de Vries', 'sbf_avries', 'anna.devries@mijnsynergy.nl', 'anna.devries@mijnsynergy.nl'),
  bjansen: person(HOSTING_OU, 'Bert Jansen', 'sbf_bjansen', 'bert.jansen@mijnsynergy.nl', 'bert.jansen@mijnsynergy.nl'),
  /** No mail attribute: mail must go to an address the admin types. */
  nomail: person(HOSTING_OU, 'Kees Zondermail', 'sbf_kzonder', 'kees.zonder@mijnsynergy.nl'),
  /** A Domain Admins member placed inside Hosting's OU. */
  domainAdmin: person(HOSTING_OU, 'Hosting Domain Admin', 'sbf_dadmin', 'dadmin@mijnsynergy.nl'),
  /** userAccountControl has DONT_EXPIRE_PASSWD (0x10000). */
  neverExpires: person(HOSTING_OU, 'Never Expires', 'sbf_noexp', 'noexp@mijnsynergy.nl', 'noexp@mijnsynergy.nl'),
  /**
   * An ordinary account with an orphaned adminCount=1 (privileged once, long ago) and nothing
   * else: no privileged group, the DACL it inherits from the OU, so the service account can reset it.
   */
  formerAdmin: person(HOSTING_OU, 'Oud Beheerder', 'sbf_oudbeh', 'oud.beheerder@mijnsynergy.nl', 'oud.beheerder@mijnsynergy.nl'),
  /**
   * A Domain Admin through Hosting Escalation (a member of Domain Admins), made one after
   * samba-dc.sh's protection step, like an account SDProp has not reached yet: no adminCount and
   * the DACL inherited from the OU, so the service account CAN reset it. Only the product's
   * tokenGroups check protects it.
   */
  lateAdmin: person(HOSTING_OU, 'Late Beheerder', 'sbf_late', 'late.beheerder@mijnsynergy.nl', 'late.beheerder@mijnsynergy.nl'),
  /** Member of Provider Support, nested in Provider Staff (PROVIDER_STAFF_GROUP_DN). */
  staff: person(HOSTING_OU, 'Provider Medewerker', 'sbf_staff', 'provider.medewerker@mijnsynergy.nl', 'provider.medewerker@mijnsynergy.nl'),
  /** Member of Hosting Directie (boardGroupDn). */
  board: person(HOSTING_OU, 'Directie Lid', 'sbf_directie', 'directie.lid@mijnsynergy.nl', 'directie.lid@mijnsynergy.nl'),
  /** A second Hosting admin (in Hosting Helpdesk), for tests that disable, lock or remove an admin mid-session. */
  admin2: person(HOSTING_OU, 'Tweede Beheerder', 'sbf_admin2', 'tweede.beheerder@mijnsynergy.nl', 'tweede.beheerder@mijnsynergy.nl'),
  /** A computer account inside Hosting's OU (objectCategory=computer). */
  computer: { dn: `CN=SBF-PC01,${HOSTING_OU}`, sam: 'SBF-PC01$' },
} as const;

export const ACME = {
  key: 'acme',
  name: 'Acme',
  baseDn: ACME_OU,
  adminGroupDn: `CN=Acme Admins,${ACME_OU}`,
  samPrefix: 'acme_',
  admin: person(ACME_OU, 'Acme Admin', 'acme_admin', 'admin@acme.test', 'admin@acme.test'),
  jdoe: person(ACME_OU, 'John Doe', 'acme_jdoe', 'john.doe@acme.test', 'john.doe@acme.test'),
  /** Same short name as a Hosting account, to show that resolving stays inside the environment. */
  jmus: person(ACME_OU, 'Jan Mus', 'acme_jmus', 'jan.mus@acme.test', 'jan.mus@acme.test'),
} as const;

/** Extra Hosting employees, so that listing spans several pages: "Werknemer 01" … sbf_emp01 … */
export const HOSTING_BULK_COUNT = 45;
export function bulkPerson(n: number): SeedPerson {
  const nn = String(n).padStart(2, '0');
  return person(HOSTING_OU, `Werknemer ${nn}`, `sbf_emp${nn}`, `emp${nn}@mijnsynergy.nl`, `emp${nn}@mijnsynergy.nl`);
}

/**
 * A third environment, with awkward data: 25 people with the same displayName (paging 20 at a
 * time ends inside the tie), CNs that need RFC 4514 escapes, and a distribution group.
 */
export const FABRIKAM = {
  key: 'fabrikam',
  name: 'Fabrikam',
  baseDn: FABRIKAM_OU,
  adminGroupDn: `CN=Fabrikam Admins,${FABRIKAM_OU}`,
  /** A global distribution group (groupType 2) holding the admin: not a security group, so no admin group. */
  mailingGroupDn: `CN=Fabrikam Mailing,${FABRIKAM_OU}`,
  samPrefix: 'fab_',
  admin: person(FABRIKAM_OU, 'Fabrikam Admin', 'fab_admin', 'admin@fabrikam.test', 'admin@fabrikam.test'),
  /** First and last by displayName (apart from trailingSpace, "Zz Trailing", after "Zora Zwart"). */
  aaron: person(FABRIKAM_OU, 'Aaron Aal', 'fab_aaal', 'aaron.aal@fabrikam.test', 'aaron.aal@fabrikam.test'),
  zora: person(FABRIKAM_OU, 'Zora Zwart', 'fab_zzwart', 'zora.zwart@fabrikam.test', 'zora.zwart@fabrikam.test'),
  /** CN "Zz Trailing " (with a trailing space, escaped in the DN); displayName without it. */
  trailingSpace: oddPerson(FABRIKAM_OU, 'Zz Trailing\\ ', 'Zz Trailing', 'fab_trailing', 'zz.trailing@fabrikam.test'),
  /** CN "Vries, Piet de". */
  comma: oddPerson(FABRIKAM_OU, 'Vries\\, Piet de', 'Piet de Vries (komma)', 'fab_pdvries', 'piet.devries@fabrikam.test'),
  /** CN "#Hash Persoon" (a leading # is escaped); displayName "Hash Persoon". */
  hash: oddPerson(FABRIKAM_OU, '\\#Hash Persoon', 'Hash Persoon', 'fab_hash', 'hash.persoon@fabrikam.test'),
  /** CN "Plus+Min" (an unescaped + would make a multi-valued RDN). */
  plus: oddPerson(FABRIKAM_OU, 'Plus\\+Min', 'Plus+Min', 'fab_plusmin', 'plus.min@fabrikam.test'),
} as const;

/** "Jan de Vries 01" … "Jan de Vries 25" (CN), all with displayName "Jan de Vries": fab_jdv01 …, jdv01@fabrikam.test … */
export const FABRIKAM_TWIN_COUNT = 25;
export function fabrikamTwin(n: number): SeedPerson {
  const nn = String(n).padStart(2, '0');
  return person(FABRIKAM_OU, `Jan de Vries ${nn}`, `fab_jdv${nn}`, `jdv${nn}@fabrikam.test`, `jdv${nn}@fabrikam.test`, 'Jan de Vries');
}
