#!/usr/bin/env node
/**
 * Prints the LDIF that seeds the test/demo directory (realm CORP.TEST), for
 * `ldbmodify --configfile=$DC_DIR/etc/smb.conf -H $DC_DIR/private/sam.ldb` on a stopped DC.
 *
 * The people, groups and DNs here mirror test/support/fixtures.ts, which is the source of truth:
 * it is TypeScript, which Node 20 cannot import, so the data is repeated and
 * test/directory/samba-dc.test.ts checks every fixture against the running DC.
 *
 * Passwords come from DC_SEED_PASSWORD and DC_SERVICE_PASSWORD. The delegation ACL on OU=Tenants
 * needs the service account's SID, which exists only after this LDIF is applied: samba-dc.sh sets it.
 *
 *   node seed-ldif.mjs          the directory itself
 *   node seed-ldif.mjs late     changes samba-dc.sh applies after it has protected the privileged
 *                               accounts (its stand-in for Windows' SDProp): a privilege granted
 *                               that SDProp has not reached yet
 */
const BASE_DN = 'DC=corp,DC=test';
const TENANTS_OU = `OU=Tenants,${BASE_DN}`;
const HOSTING_OU = `OU=Hosting,${TENANTS_OU}`;
const ACME_OU = `OU=Acme,${TENANTS_OU}`;
const FABRIKAM_OU = `OU=Fabrikam,${TENANTS_OU}`;
const USERS = `CN=Users,${BASE_DN}`;

const UF_NORMAL_ACCOUNT = 0x200;
const UF_DONT_EXPIRE_PASSWD = 0x10000;
const UF_WORKSTATION_TRUST_ACCOUNT = 0x1000;
/** Global security group (ADS_GROUP_TYPE_GLOBAL_GROUP | ADS_GROUP_TYPE_SECURITY_ENABLED). */
const GLOBAL_SECURITY_GROUP = -2147483646;
/** Global distribution group (ADS_GROUP_TYPE_GLOBAL_GROUP only): not a security principal. */
const GLOBAL_DISTRIBUTION_GROUP = 2;

const seedPassword = requiredEnv('DC_SEED_PASSWORD');
const servicePassword = requiredEnv('DC_SERVICE_PASSWORD');

function requiredEnv(name) {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`seed-ldif: ${name} is not set\n`);
    process.exit(2);
  }
  return value;
}

function person(ou, cn, sam, upn, mail, extra = {}) {
  return { dn: `CN=${cn},${ou}`, cn, sam, upn, mail, ...extra };
}

/** A person whose CN needs RFC 4514 escapes in the DN (rdn: the escaped form, cn: the value). */
function oddPerson(ou, rdn, cn, displayName, givenName, sn, sam, upn) {
  return { dn: `CN=${rdn},${ou}`, cn, displayName, givenName, sn, sam, upn, mail: upn };
}

const hosting = {
  admin: person(HOSTING_OU, 'Hosting Admin', 'sbf_admin', 'admin@mijnsynergy.nl', 'admin@mijnsynergy.nl'),
  info: person(HOSTING_OU, 'Info SBF', 'sbf_info', 'info@mijnsynergy.nl', 'info@mijnsynergy.nl'),
  jmus: person(HOSTING_OU, 'Joman Mus', 'sbf_jmus', 'joman.mus@mijnsynergy.nl', 'joman.mus@mijnsynergy.nl'),
  avries: person(HOSTING_OU, 'Anna de Vries', 'sbf_avries', 'anna.devries@mijnsynergy.nl', 'anna.devries@mijnsynergy.nl'),
  bjansen: person(HOSTING_OU, 'Bert Jansen', 'sbf_bjansen', 'bert.jansen@mijnsynergy.nl', 'bert.jansen@mijnsynergy.nl'),
  nomail: person(HOSTING_OU, 'Kees Zondermail', 'sbf_kzonder', 'kees.zonder@mijnsynergy.nl'),
  domainAdmin: person(HOSTING_OU, 'Hosting Domain Admin', 'sbf_dadmin', 'dadmin@mijnsynergy.nl'),
  neverExpires: person(HOSTING_OU, 'Never Expires', 'sbf_noexp', 'noexp@mijnsynergy.nl', 'noexp@mijnsynergy.nl', {
    uac: UF_NORMAL_ACCOUNT | UF_DONT_EXPIRE_PASSWD,
  }),
  // An ordinary account with an orphaned adminCount=1 (once privileged), and its inherited DACL.
  formerAdmin: person(HOSTING_OU, 'Oud Beheerder', 'sbf_oudbeh', 'oud.beheerder@mijnsynergy.nl', 'oud.beheerder@mijnsynergy.nl', {
    adminCount: 1,
  }),
  // Becomes a Domain Admin (through Hosting Escalation) only in the late LDIF: no adminCount.
  lateAdmin: person(HOSTING_OU, 'Late Beheerder', 'sbf_late', 'late.beheerder@mijnsynergy.nl', 'late.beheerder@mijnsynergy.nl'),
  staff: person(HOSTING_OU, 'Provider Medewerker', 'sbf_staff', 'provider.medewerker@mijnsynergy.nl', 'provider.medewerker@mijnsynergy.nl'),
  board: person(HOSTING_OU, 'Directie Lid', 'sbf_directie', 'directie.lid@mijnsynergy.nl', 'directie.lid@mijnsynergy.nl'),
  admin2: person(HOSTING_OU, 'Tweede Beheerder', 'sbf_admin2', 'tweede.beheerder@mijnsynergy.nl', 'tweede.beheerder@mijnsynergy.nl'),
};
const hostingGroups = {
  helpdesk: `CN=Hosting Helpdesk,${HOSTING_OU}`,
  admins: `CN=Hosting Admins,${HOSTING_OU}`,
  escalation: `CN=Hosting Escalation,${HOSTING_OU}`,
  board: `CN=Hosting Directie,${HOSTING_OU}`,
};
const PROVIDER_SUPPORT = `CN=Provider Support,${USERS}`;
const PROVIDER_STAFF = `CN=Provider Staff,${USERS}`;
const DOMAIN_ADMINS = `CN=Domain Admins,${USERS}`;
const HOSTING_BULK_COUNT = 45;
const bulk = Array.from({ length: HOSTING_BULK_COUNT }, (_, i) => {
  const nn = String(i + 1).padStart(2, '0');
  return person(HOSTING_OU, `Werknemer ${nn}`, `sbf_emp${nn}`, `emp${nn}@mijnsynergy.nl`, `emp${nn}@mijnsynergy.nl`);
});
const FABRIKAM_TWIN_COUNT = 25;
const fabrikam = {
  admin: person(FABRIKAM_OU, 'Fabrikam Admin', 'fab_admin', 'admin@fabrikam.test', 'admin@fabrikam.test'),
  aaron: person(FABRIKAM_OU, 'Aaron Aal', 'fab_aaal', 'aaron.aal@fabrikam.test', 'aaron.aal@fabrikam.test'),
  zora: person(FABRIKAM_OU, 'Zora Zwart', 'fab_zzwart', 'zora.zwart@fabrikam.test', 'zora.zwart@fabrikam.test'),
  // CNs that need escapes in a DN: a trailing space, a comma, a leading #, a plus sign.
  trailingSpace: oddPerson(FABRIKAM_OU, 'Zz Trailing\\ ', 'Zz Trailing ', 'Zz Trailing', 'Zz', 'Trailing', 'fab_trailing', 'zz.trailing@fabrikam.test'),
  comma: oddPerson(FABRIKAM_OU, 'Vries\\, Piet de', 'Vries, Piet de', 'Piet de Vries (komma)', 'Piet', 'de Vries', 'fab_pdvries', 'piet.devries@fabrikam.test'),
  hash: oddPerson(FABRIKAM_OU, '\\#Hash Persoon', '#Hash Persoon', 'Hash Persoon', 'Hash', 'Persoon', 'fab_hash', 'hash.persoon@fabrikam.test'),
  plus: oddPerson(FABRIKAM_OU, 'Plus\\+Min', 'Plus+Min', 'Plus+Min', 'Plus', 'Min', 'fab_plusmin', 'plus.min@fabrikam.test'),
};
// 25 people with the same displayName "Jan de Vries", so that a page of 20 ends inside the tie.
const fabrikamTwins = Array.from({ length: FABRIKAM_TWIN_COUNT }, (_, i) => {
  const nn = String(i + 1).padStart(2, '0');
  return person(FABRIKAM_OU, `Jan de Vries ${nn}`, `fab_jdv${nn}`, `jdv${nn}@fabrikam.test`, `jdv${nn}@fabrikam.test`, {
    displayName: 'Jan de Vries',
    givenName: 'Jan',
    sn: 'de Vries',
  });
});
const fabrikamGroups = {
  admins: `CN=Fabrikam Admins,${FABRIKAM_OU}`,
  mailing: `CN=Fabrikam Mailing,${FABRIKAM_OU}`,
};
const acme = {
  admin: person(ACME_OU, 'Acme Admin', 'acme_admin', 'admin@acme.test', 'admin@acme.test'),
  jdoe: person(ACME_OU, 'John Doe', 'acme_jdoe', 'john.doe@acme.test', 'john.doe@acme.test'),
  jmus: person(ACME_OU, 'Jan Mus', 'acme_jmus', 'jan.mus@acme.test', 'jan.mus@acme.test'),
};
const serviceAccount = {
  dn: `CN=svc-pwreset,CN=Users,${BASE_DN}`,
  cn: 'svc-pwreset',
  sam: 'svc-pwreset',
  upn: 'svc-pwreset@corp.test',
  displayName: 'Password reset bot',
  password: servicePassword,
  uac: UF_NORMAL_ACCOUNT | UF_DONT_EXPIRE_PASSWD,
  service: true,
};

/** AD wants the password quoted and UTF-16LE encoded. */
function unicodePwd(password) {
  return Buffer.from(`"${password}"`, 'utf16le').toString('base64');
}

function b64(value) {
  return Buffer.from(value, 'utf8').toString('base64');
}

/** One attribute line; values that are not plain ASCII go base64 (LDIF's rule). */
function attr(name, value) {
  const s = String(value);
  return /^[\x20-\x7e]*$/.test(s) && !/^[ :<]/.test(s) && !s.endsWith(' ') ? `${name}: ${s}` : `${name}:: ${b64(s)}`;
}

/** A DN (the dn: line or a DN-valued attribute): base64 as soon as it holds an RFC 4514 escape. */
function dnAttr(name, dn) {
  return dn.includes('\\') ? `${name}:: ${b64(dn)}` : attr(name, dn);
}

function record(lines) {
  return lines.join('\n') + '\n\n';
}

function ou(dn, name) {
  return record([`dn: ${dn}`, 'changetype: add', 'objectClass: organizationalUnit', attr('ou', name)]);
}

function user(u) {
  const lines = [dnAttr('dn', u.dn), 'changetype: add', 'objectClass: user', attr('cn', u.cn), attr('displayName', u.displayName ?? u.cn)];
  if (!u.service) {
    // "Anna de Vries": given name Anna, surname "de Vries" (unless the person says otherwise).
    const [givenName, ...rest] = u.cn.split(' ');
    lines.push(attr('givenName', u.givenName ?? givenName));
    const sn = u.sn ?? rest.join(' ');
    if (sn) lines.push(attr('sn', sn));
  }
  lines.push(attr('sAMAccountName', u.sam), attr('userPrincipalName', u.upn));
  if (u.mail) lines.push(attr('mail', u.mail));
  if (u.adminCount) lines.push(`adminCount: ${u.adminCount}`);
  lines.push(`unicodePwd:: ${unicodePwd(u.password ?? seedPassword)}`, `userAccountControl: ${u.uac ?? UF_NORMAL_ACCOUNT}`);
  return record(lines);
}

/** The group's CN is the first RDN's value (none of the groups needs escapes). */
function group(dn, members, groupType = GLOBAL_SECURITY_GROUP) {
  const cn = /^CN=([^,\\]+),/.exec(dn)?.[1];
  if (!cn) throw new Error(`seed-ldif: cannot take a CN from ${dn}`);
  return record([
    `dn: ${dn}`,
    'changetype: add',
    'objectClass: group',
    attr('cn', cn),
    attr('sAMAccountName', cn),
    `groupType: ${groupType}`,
    ...members.map((m) => dnAttr('member', m)),
  ]);
}

function addMember(groupDn, memberDn) {
  return record([`dn: ${groupDn}`, 'changetype: modify', 'add: member', dnAttr('member', memberDn), '-']);
}

function directory() {
  let out = '';
  // Tests reset passwords and set them back at once: no minimum age (complexity stays on).
  out += record([`dn: ${BASE_DN}`, 'changetype: modify', 'replace: minPwdAge', 'minPwdAge: 0', '-']);
  out += user(serviceAccount);
  out += ou(TENANTS_OU, 'Tenants');
  out += ou(HOSTING_OU, 'Hosting');
  out += ou(ACME_OU, 'Acme');
  out += ou(FABRIKAM_OU, 'Fabrikam');
  const people = [...Object.values(hosting), ...bulk, ...Object.values(acme), ...Object.values(fabrikam), ...fabrikamTwins];
  for (const p of people) out += user(p);
  out += group(hostingGroups.helpdesk, [hosting.admin.dn, hosting.admin2.dn]);
  out += group(hostingGroups.admins, [hostingGroups.helpdesk]);
  out += group(hostingGroups.board, [hosting.board.dn]);
  // Made a member of Domain Admins only by the late LDIF, after the protection step.
  out += group(hostingGroups.escalation, [hosting.lateAdmin.dn]);
  out += group(`CN=Acme Admins,${ACME_OU}`, [acme.admin.dn]);
  out += group(fabrikamGroups.admins, [fabrikam.admin.dn]);
  out += group(fabrikamGroups.mailing, [fabrikam.admin.dn], GLOBAL_DISTRIBUTION_GROUP);
  // The provider's own staff, outside the tenants: Provider Support nested in Provider Staff.
  out += group(PROVIDER_SUPPORT, [hosting.staff.dn]);
  out += group(PROVIDER_STAFF, [PROVIDER_SUPPORT]);
  out += addMember(DOMAIN_ADMINS, hosting.domainAdmin.dn);
  out += record([
    `dn: CN=SBF-PC01,${HOSTING_OU}`,
    'changetype: add',
    'objectClass: computer',
    'cn: SBF-PC01',
    'sAMAccountName: SBF-PC01$',
    `userAccountControl: ${UF_WORKSTATION_TRUST_ACCOUNT}`,
  ]);
  return out;
}

/** After the protection step: Late Beheerder becomes a Domain Admin that "SDProp" has not reached. */
function late() {
  return addMember(DOMAIN_ADMINS, hostingGroups.escalation);
}

const phase = process.argv[2] ?? 'directory';
if (phase === 'directory') process.stdout.write(directory());
else if (phase === 'late') process.stdout.write(late());
else {
  process.stderr.write(`seed-ldif: unknown phase '${phase}' (directory or late)\n`);
  process.exit(2);
}
