/** Direct looks at the test DC, bypassing the product: what a person would check with ldapsearch. */
import { readFileSync } from 'node:fs';
import { Attribute, Change, Client, InvalidCredentialsError } from 'ldapts';
import { DC_CA_FILE, DOMAIN_ADMIN, LDAPS_URL, SEED_PASSWORD } from './fixtures.js';

function client(): Client {
  return new Client({ url: LDAPS_URL, tlsOptions: { ca: [readFileSync(DC_CA_FILE)] }, timeout: 10_000 });
}

/** 'ok', or AD's data code from the failed bind: '52e' wrong password, '773' must change. */
export async function bindResult(login: string, password: string): Promise<string> {
  const c = client();
  try {
    await c.bind(login, password);
    return 'ok';
  } catch (error) {
    if (error instanceof InvalidCredentialsError) {
      return /data ([0-9a-f]+)/i.exec(error.message)?.[1]?.toLowerCase() ?? 'invalid';
    }
    throw error;
  } finally {
    await c.unbind().catch(() => undefined);
  }
}

export async function asDomainAdmin<T>(work: (c: Client) => Promise<T>): Promise<T> {
  return as(DOMAIN_ADMIN, work);
}

/** Runs `work` bound as this account (a good bind resets that account's own badPwdCount). */
export async function as<T>(account: { dn: string; password: string }, work: (c: Client) => Promise<T>): Promise<T> {
  const c = client();
  try {
    await c.bind(account.dn, account.password);
    return await work(c);
  } finally {
    await c.unbind().catch(() => undefined);
  }
}

/** Puts a seeded person back as seeded: the seed password, no forced change. */
export async function restoreSeedPassword(dn: string): Promise<void> {
  await asDomainAdmin((c) =>
    c.modify(dn, [
      new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [Buffer.from(`"${SEED_PASSWORD}"`, 'utf16le')] }) }),
      new Change({ operation: 'replace', modification: new Attribute({ type: 'pwdLastSet', values: ['-1'] }) }),
    ]),
  );
}

/** The employee's own password change (the old one given), as at a Windows sign-in or a portal. */
export async function changeOwnPassword(dn: string, from: string, to: string): Promise<void> {
  await asDomainAdmin((c) =>
    c.modify(dn, [
      new Change({ operation: 'delete', modification: new Attribute({ type: 'unicodePwd', values: [Buffer.from(`"${from}"`, 'utf16le')] }) }),
      new Change({ operation: 'add', modification: new Attribute({ type: 'unicodePwd', values: [Buffer.from(`"${to}"`, 'utf16le')] }) }),
    ]),
  );
}

export async function setDomainAttribute(attribute: string, value: string): Promise<string> {
  return asDomainAdmin(async (c) => {
    const { searchEntries } = await c.search('DC=corp,DC=test', { scope: 'base', attributes: [attribute] });
    const previous = String(searchEntries[0]?.[attribute] ?? '');
    await c.modify('DC=corp,DC=test', new Change({ operation: 'replace', modification: new Attribute({ type: attribute, values: [value] }) }));
    return previous;
  });
}
