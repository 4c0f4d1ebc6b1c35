#!/usr/bin/env node
/**
 * Prints the LDIF of the benchmark's environments, for `ldbadd` into a stopped DC's sam.ldb
 * (offline: much faster than 10,000 LDAP adds). Each environment is an OU under OU=Tenants with
 * an admin group, one admin (its member) and `count` employees with names, accounts and mail.
 *
 *   node employees-ldif.mjs <ou-name> <count> [<ou-name> <count> …]
 *
 * DC_SEED_PASSWORD: every account's password (the admin signs in with it).
 */
const BASE_DN = 'DC=corp,DC=test';
const TENANTS_OU = `OU=Tenants,${BASE_DN}`;
const GLOBAL_SECURITY_GROUP = -2147483646;
const UF_NORMAL_ACCOUNT = 0x200;
const UF_PASSWD_NOTREQD = 0x20;

const password = process.env.DC_SEED_PASSWORD;
if (!password) {
  process.stderr.write('employees-ldif: DC_SEED_PASSWORD is not set\n');
  process.exit(2);
}
const unicodePwd = Buffer.from(`"${password}"`, 'utf16le').toString('base64');

const GIVEN = ['Anna', 'Bert', 'Carla', 'Daan', 'Eva', 'Femke', 'Gijs', 'Hanna', 'Ivo', 'Jesse', 'Kim', 'Lars', 'Mila', 'Noah', 'Olga', 'Pim', 'Roos', 'Sem', 'Tess', 'Umar', 'Vera', 'Wout', 'Yara', 'Zoë'];
const FAMILY = ['Jansen', 'de Vries', 'van den Berg', 'Bakker', 'Visser', 'Smit', 'Meijer', 'de Boer', 'Mulder', 'de Groot', 'Bos', 'Vos', 'Peters', 'Hendriks', 'van Leeuwen', 'Dekker', 'Brouwer', 'de Wit', 'Dijkstra', 'Smits', 'de Graaf', 'van der Meer', 'van der Linden', 'Kok', 'Jacobs', 'de Haan', 'Vermeulen', 'van den Heuvel', 'van der Veen', 'van den Broek', 'de Bruijn', 'de Jong', 'Schouten', 'van Beek', 'Willems', 'van Dijk', 'Hoekstra', 'Maas', 'Verhoeven', 'Koster', 'van Dam', 'van der Wal', 'Prins', 'Blom', 'Huisman', 'Peeters', 'de Jonge', 'Kuipers', 'van Vliet', 'Post', 'Kuiper', 'Veenstra', 'Kramer', 'van den Brink', 'Scholten', 'van Wijk', 'Postma', 'Martens', 'Vink', 'de Ruiter', 'Timmermans', 'Groen', 'Gerritsen', 'Jonker', 'van Loon', 'Boer', 'van der Velde', 'Willemsen', 'Smeets', 'de Lange', 'de Vos', 'Bosch', 'van Dongen', 'Schipper', 'de Koning', 'van der Laan', 'Koning', 'van der Velden', 'Driessen', 'van Doorn', 'Hermans', 'Evers', 'van den Bosch', 'van der Meulen', 'Hofman', 'Bosman', 'Wolters', 'Sanders', 'van der Heijden', 'Molenaar', 'van de Ven', 'Lambers'];

const b64 = (s) => Buffer.from(s, 'utf8').toString('base64');
const attr = (name, value) => (/^[\x20-\x7e]*$/.test(value) && !/^[ :<]/.test(value) ? `${name}: ${value}` : `${name}:: ${b64(value)}`);
const out = [];
const write = (lines) => out.push(lines.join('\n') + '\n\n');

/**
 * Employees get no password (PASSWD_NOTREQD): Samba derives Kerberos keys for every password it
 * stores, which makes 10,000 of them take minutes; the first Reset gives them one. The admin,
 * who signs in, has the seed password.
 */
function person(ou, key, cn, sam, withPassword = false) {
  const [givenName, ...rest] = cn.split(' ');
  write([
    attr('dn', `CN=${cn},${ou}`),
    'objectClass: user',
    attr('cn', cn),
    attr('displayName', cn),
    attr('givenName', givenName),
    attr('sn', rest.join(' ')),
    attr('sAMAccountName', sam),
    attr('userPrincipalName', `${sam}@${key}.example.nl`),
    attr('mail', `${sam}@${key}.example.nl`),
    ...(withPassword ? [`unicodePwd:: ${unicodePwd}`, `userAccountControl: ${UF_NORMAL_ACCOUNT}`] : [`userAccountControl: ${UF_NORMAL_ACCOUNT | UF_PASSWD_NOTREQD}`]),
  ]);
}

const args = process.argv.slice(2);
if (args.length === 0 || args.length % 2 !== 0) {
  process.stderr.write('usage: employees-ldif.mjs <ou-name> <count> [<ou-name> <count> …]\n');
  process.exit(2);
}
for (let i = 0; i < args.length; i += 2) {
  const name = args[i];
  const count = Number(args[i + 1]);
  const key = name.toLowerCase();
  const ou = `OU=${name},${TENANTS_OU}`;
  write([`dn: ${ou}`, 'objectClass: organizationalUnit', attr('ou', name)]);
  const admin = `${name} Admin`;
  person(ou, key, admin, `${key}_admin`, true);
  write([`dn: CN=${name} Admins,${ou}`, 'objectClass: group', attr('cn', `${name} Admins`), attr('sAMAccountName', `${name} Admins`), `groupType: ${GLOBAL_SECURITY_GROUP}`, attr('member', `CN=${admin},${ou}`)]);
  for (let n = 0; n < count; n++) {
    // Names repeat (as in a real company) but every CN is unique: a number tells them apart.
    const given = GIVEN[n % GIVEN.length];
    const family = FAMILY[Math.floor(n / GIVEN.length) % FAMILY.length];
    person(ou, key, `${given} ${family} ${String(n).padStart(5, '0')}`, `${key}_e${n}`);
  }
}
process.stdout.write(out.join(''));
