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

export interface SeedPerson {
  dn: string;
  sam: string;
  upn: string;
  mail?: string;
  displayName: string;
}

function person(ou: string, cn: string, sam: string, upn: string, mail?: string): SeedPerson {
  return { dn: `CN=${cn},${ou}`, sam, upn, ...(mail ? { mail } : {}), displayName: cn };
}

export const HOSTING = {
  key: 'hosting',
  name: 'Hosting',
  baseDn: HOSTING_OU,
  /** The admin group; Hosting Helpdesk is nested inside it and holds the admin. */
  adminGroupDn: `CN=Hosting Admins,${HOSTING_OU}`,
  helpdeskGroupDn: `CN=Hosting Helpdesk,${HOSTING_OU}`,
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
