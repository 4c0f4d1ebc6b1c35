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
 */
const BASE_DN = 'DC=corp,DC=test';
const TENANTS_OU = `OU=Tenants,${BASE_DN}`;
const HOSTING_OU = `OU=Hosting,${TENANTS_OU}`;
const ACME_OU = `OU=Acme,${TENANTS_OU}`;

const UF_NORMAL_ACCOUNT = 0x200;
const UF_DONT_EXPIRE_PASSWD = 0x10000;
const UF_WORKSTATION_TRUST_ACCOUNT = 0x1000;
/** Global security group (ADS_GROUP_TYPE_GLOBAL_GROUP | ADS_GROUP_TYPE_SECURITY_ENABLED). */
const GLOBAL_SECURITY_GROUP = -2147483646;

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
};
const HOSTING_BULK_COUNT = 45;
const bulk = Array.from({ length: HOSTING_BULK_COUNT }, (_, i) => {
  const nn = String(i + 1).padStart(2, '0');
  return person(HOSTING_OU, `Werknemer ${nn}`, `sbf_emp${nn}`, `emp${nn}@mijnsynergy.nl`, `emp${nn}@mijnsynergy.nl`);
});
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

function record(lines) {
  return lines.join('\n') + '\n\n';
}

function ou(dn, name) {
  return record([`dn: ${dn}`, 'changetype: add', 'objectClass: organizationalUnit', attr('ou', name)]);
}

function user(u) {
  const lines = [`dn: ${u.dn}`, 'changetype: add', 'objectClass: user', attr('cn', u.cn), attr('displayName', u.displayName ?? u.cn)];
  if (!u.service) {
    // "Anna de Vries": given name Anna, surname "de Vries".
    const [givenName, ...rest] = u.cn.split(' ');
    lines.push(attr('givenName', givenName));
    if (rest.length > 0) lines.push(attr('sn', rest.join(' ')));
  }
  lines.push(attr('sAMAccountName', u.sam), attr('userPrincipalName', u.upn));
  if (u.mail) lines.push(attr('mail', u.mail));
  lines.push(`unicodePwd:: ${unicodePwd(u.password ?? seedPassword)}`, `userAccountControl: ${u.uac ?? UF_NORMAL_ACCOUNT}`);
  return record(lines);
}

function group(dn, cn, members) {
  return record([
    `dn: ${dn}`,
    'changetype: add',
    'objectClass: group',
    attr('cn', cn),
    attr('sAMAccountName', cn),
    `groupType: ${GLOBAL_SECURITY_GROUP}`,
    ...members.map((m) => attr('member', m)),
  ]);
}

let out = '';
// Tests reset passwords and set them back at once: no minimum age (complexity stays on).
out += record([`dn: ${BASE_DN}`, 'changetype: modify', 'replace: minPwdAge', 'minPwdAge: 0', '-']);
out += user(serviceAccount);
out += ou(TENANTS_OU, 'Tenants');
out += ou(HOSTING_OU, 'Hosting');
out += ou(ACME_OU, 'Acme');
for (const p of [...Object.values(hosting), ...bulk, ...Object.values(acme)]) out += user(p);
out += group(`CN=Hosting Helpdesk,${HOSTING_OU}`, 'Hosting Helpdesk', [hosting.admin.dn]);
out += group(`CN=Hosting Admins,${HOSTING_OU}`, 'Hosting Admins', [`CN=Hosting Helpdesk,${HOSTING_OU}`]);
out += group(`CN=Acme Admins,${ACME_OU}`, 'Acme Admins', [acme.admin.dn]);
out += record([
  `dn: CN=Domain Admins,CN=Users,${BASE_DN}`,
  'changetype: modify',
  'add: member',
  attr('member', hosting.domainAdmin.dn),
  '-',
]);
out += record([
  `dn: CN=SBF-PC01,${HOSTING_OU}`,
  'changetype: add',
  'objectClass: computer',
  'cn: SBF-PC01',
  'sAMAccountName: SBF-PC01$',
  `userAccountControl: ${UF_WORKSTATION_TRUST_ACCOUNT}`,
]);
process.stdout.write(out);
