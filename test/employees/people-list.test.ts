/**
 * Finding people in an environment's list in memory (src/employees/people-list.ts): `find` and what
 * an admin types to name someone, in any case, with characters beyond ASCII and with characters
 * that mean something in a pattern taken as themselves.
 */
import { describe, expect, it } from 'vitest';
import type { ListedPerson } from '../../src/directory/directory.js';
import { PeopleList } from '../../src/employees/people-list.js';

let n = 0;
function listed(displayName: string, sam: string, extra: { upn?: string; mail?: string; givenName?: string; sn?: string } = {}): ListedPerson {
  n++;
  const guid = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const person = {
    dn: `CN=${displayName.replace(/([,+"\\<>;=])/g, '\\$1')},OU=Test,DC=corp,DC=test`,
    guid,
    sam,
    upn: extra.upn ?? `${sam}@corp.test`,
    displayName,
    mail: extra.mail ?? null,
    status: { disabled: false, lockedOut: false, mustChange: false, passwordNeverExpires: false, passwordExpired: false, lockedSince: null, passwordLastSet: null, accountExpires: null, accountExpired: false },
    facts: { userAccountControl: 512, computedAccountControl: 0, lockoutTime: null, pwdLastSet: null, accountExpires: null, adminCount: false, primaryGroupId: 513 },
  };
  const names = [displayName, extra.givenName, extra.sn].filter((x): x is string => x !== undefined);
  return { person, hasDisplayName: true, names };
}

const list = new PeopleList([
  listed('İbrahim Yılmaz', 'iyilmaz', { givenName: 'İbrahim', sn: 'Yılmaz' }),
  listed('Özlem Çelik', 'ocelik', { mail: 'Ozlem.Celik@Example.NL' }),
  listed('Jan Mus', 'jmus', { givenName: 'Jan', sn: 'Mus' }),
  listed('Jan Mus', 'jmus2', { givenName: 'Jan', sn: 'Mus' }),
  listed('A.B. de Vries (extern)', 'abvries'),
  listed('Axb Jansen', 'axb'),
  listed('Hosting Admin', 'HA_admin'),
]);

const found = (search: string) => list.page({ pageSize: 20, search }).people.map((p) => p.sam);
const resolved = (reference: string, prefix?: string) => list.resolve(reference, prefix).map((p) => p.sam);

describe('find', () => {
  it('finds part of a display name, account name, UPN or mail, in any case', () => {
    expect(found('MUS')).toEqual(['jmus', 'jmus2']);
    expect(found('example.nl')).toEqual(['ocelik']);
    expect(found('JMUS2@corp')).toEqual(['jmus2']);
    expect(found('nobody')).toEqual([]);
  });

  it('takes what was typed as text, not as a pattern', () => {
    expect(found('a.b.')).toEqual(['abvries']);
    expect(found('(extern)')).toEqual(['abvries']);
    expect(found('.*')).toEqual([]);
  });

  it('finds names beyond ASCII in any case and without regard to accents', () => {
    expect(found('ibrahim')).toEqual(['iyilmaz']); // İ is I with a dot above
    expect(found('ÖZLEM')).toEqual(['ocelik']);
    expect(found('ozlem')).toEqual(['ocelik']);
    expect(found('çelik')).toEqual(['ocelik']);
    expect(found('Jänsen')).toEqual(['axb']);
  });
});

describe('what an admin types to name someone', () => {
  it('tries the exact account name, then with the prefix, then UPN or mail, then the start of a name', () => {
    expect(resolved('JMUS')).toEqual(['jmus']);
    expect(resolved('admin', 'ha_')).toEqual(['HA_admin']);
    expect(resolved('ozlem.celik@example.nl')).toEqual(['ocelik']);
    expect(resolved('jan')).toEqual(['jmus', 'jmus2']);
    expect(resolved('ibra')).toEqual(['iyilmaz']);
    expect(resolved('ozlem')).toEqual(['ocelik']);
    expect(resolved('yıl')).toEqual(['iyilmaz']);
    expect(resolved('a.b')).toEqual(['abvries']);
    expect(resolved('mus')).toEqual(['jmus', 'jmus2']); // the surname's start
    expect(resolved('us')).toEqual([]); // not the start of any name
    expect(resolved('ha_adm')).toEqual([]); // the start of an account name is no name
    expect(resolved('corp.test')).toEqual([]);
  });
});

describe('a change read from the directory', () => {
  it('is found by its new name and no longer by its old one', () => {
    const changing = new PeopleList([listed('Kees Smit', 'ksmit'), listed('Piet Dijk', 'pdijk')]);
    const kees = changing.resolve('ksmit', undefined)[0]!;
    changing.apply([{ person: { ...kees, displayName: 'Kees Smid-Öster' }, hasDisplayName: true, names: ['Kees Smid-Öster', 'Kees', 'Smid-Öster'] }], () => true);
    expect(changing.page({ pageSize: 20, search: 'oster' }).people.map((p) => p.sam)).toEqual(['ksmit']);
    expect(changing.page({ pageSize: 20, search: 'smit' }).people.map((p) => p.sam)).toEqual(['ksmit']); // its account name still
    expect(changing.page({ pageSize: 20, search: 'kees smit' }).people).toEqual([]);
    expect(changing.resolve('smid', undefined).map((p) => p.sam)).toEqual(['ksmit']);
    // Moved out of the environment: gone from both.
    changing.apply([{ person: { ...kees, dn: 'CN=Kees,OU=Elsewhere,DC=corp,DC=test' }, hasDisplayName: true, names: ['Kees Smid-Öster'] }], () => false);
    expect(changing.page({ pageSize: 20, search: 'kees' }).people).toEqual([]);
    expect(changing.resolve('kees', undefined)).toEqual([]);
  });
});
