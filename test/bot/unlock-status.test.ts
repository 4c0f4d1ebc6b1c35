/**
 * Account status and Unlock, through the bot's real endpoint against the test DC: an account
 * locked out by wrong binds shows as locked on its card, Unlock makes its own password work again,
 * once; the same authorization as a Reset refuses protected accounts and other environments.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { lockOut } from '../support/accounts.js';
import { bindResult, restoreSeedPassword } from '../support/directory.js';
import { ACME, HOSTING, SEED_PASSWORD } from '../support/fixtures.js';
import { adminOf } from '../support/harness.js';
import { signedInAdmin, ask, startBotHarness, type BotHarness } from '../support/bot-harness.js';
import { button, buttonsOf, cardOf, dialogCardOf, textOf, type CardJson } from '../support/teams.js';
import { unlockAccount } from '../../src/reset/unlock.js';
import { AppError } from '../../src/errors/catalog.js';

let b: BotHarness;
let undo: (() => Promise<void>) | undefined;

beforeAll(async () => {
  b = await startBotHarness();
});

afterEach(async () => {
  await undo?.();
  undo = undefined;
});

afterAll(async () => {
  await b.close();
});

const unlockButtons = (card: CardJson) => buttonsOf(card).filter((x) => x.verb === 'unlock');

/** The unlock entries of one account (refused card uses name it by objectGUID only). */
async function unlockAudits(dn: string) {
  const [person] = await b.h.core.directory.resolvePeople(b.h.hosting, dn.replace(/^CN=([^,]+),.*$/, '$1'));
  return (await b.h.core.audit.recent({ environment: 'hosting', limit: 100 })).filter((e) => e.action === 'unlock' && e.target?.guid === person!.guid);
}

describe('status and unlock', () => {
  it('shows a locked-out account as locked since when; Unlock makes its own password work again, once', async () => {
    const admin = await signedInAdmin(b);
    undo = await lockOut(HOSTING.bjansen.dn);
    expect(await bindResult(HOSTING.bjansen.dn, SEED_PASSWORD)).toBe('775');

    const { card, id } = await ask(admin, 'status bjansen');
    const shown = textOf(card);
    expect(shown).toContain('Bert Jansen');
    expect(shown).toContain('Account status');
    expect(shown).toMatch(/locked out since \d{1,2} \w{3},? \d{2}:\d{2}/);
    expect(shown).toMatch(/Password\n(set on|expired)/);
    expect(shown).toMatch(/Account expires\nnever/);
    expect(unlockButtons(card)).toHaveLength(1);
    const unlock = button(card, /^Unlock$/);
    expect(unlock.type).toBe('Action.Execute');

    const answer = cardOf(await admin.execute('unlock', unlock.data, id));
    expect(textOf(answer)).toMatch(/Bert Jansen was unlocked by you at \d{2}:\d{2}/);
    expect(textOf(answer)).toMatch(/Account\nin use/);
    expect(unlockButtons(answer)).toHaveLength(0);
    // The employee's own password works again: nothing was reset.
    expect(await bindResult(HOSTING.bjansen.dn, SEED_PASSWORD)).toBe('ok');

    // Pressed twice (a double click, a Teams retry): refused, and unlocked once.
    const again = cardOf(await admin.execute('unlock', unlock.data, id));
    expect(textOf(again)).toContain('already been used');
    const audits = await unlockAudits(HOSTING.bjansen.dn);
    expect(audits.filter((e) => e.outcome === 'success')).toHaveLength(1);
    expect(audits.filter((e) => e.outcome === 'intent')).toHaveLength(1);
    expect(audits.filter((e) => e.outcome === 'refused').map((e) => e.errorCode)).toEqual(['CARD_ALREADY_USED']);
  });

  it("gives a locked-out account's row in the list Unlock; pressed, the list comes back with that row unlocked, once", async () => {
    const admin = await signedInAdmin(b);
    undo = await lockOut(HOSTING.bjansen.dn);
    const bert = (await b.h.core.directory.resolvePeople(b.h.hosting, HOSTING.bjansen.sam))[0]!;
    // The list sees the lock-out at its next read of changes (LIST_POLL_SECONDS).
    let listed: Awaited<ReturnType<typeof ask>> | undefined;
    await expect.poll(async () => textOf((listed = await ask(admin, 'find jansen')).card), { timeout: 15_000, interval: 1000 }).toMatch(/locked out/);
    const { card, id } = listed!;
    expect(textOf(card)).toContain('Employees of Hosting');
    expect(textOf(card)).toContain('Bert Jansen');
    // Only the locked-out row has Unlock; it keeps Reset and Mail password too.
    const unlock = unlockButtons(card);
    expect(unlock).toHaveLength(1);
    expect(unlock[0]).toMatchObject({ type: 'Action.Execute', title: 'Unlock' });
    expect(unlock[0]!.data['guid']).toBe(bert.guid);
    expect(buttonsOf(card).filter((x) => x.data['guid'] === bert.guid).map((x) => x.title)).toEqual(['Unlock', 'Reset', 'Mail password']);

    const unlocksBefore = (await unlockAudits(HOSTING.bjansen.dn)).filter((e) => e.outcome === 'success').length;
    const answer = cardOf(await admin.execute('unlock', unlock[0]!.data, id));
    expect(textOf(answer)).toContain('Employees of Hosting');
    expect(textOf(answer)).toMatch(/Bert Jansen[^]*unlocked by you at \d{2}:\d{2}/);
    expect(textOf(answer)).not.toMatch(/locked out/);
    expect(unlockButtons(answer)).toHaveLength(0);
    expect(await bindResult(HOSTING.bjansen.dn, SEED_PASSWORD)).toBe('ok');

    // The row's Unlock pressed twice: refused, unlocked once.
    const again = cardOf(await admin.execute('unlock', unlock[0]!.data, id));
    expect(textOf(again)).toContain('already been used');
    const audits = await unlockAudits(HOSTING.bjansen.dn);
    expect(audits.filter((e) => e.outcome === 'success')).toHaveLength(unlocksBefore + 1);
  });

  it("gives a locked-out never-expires account's row Unlock only, beside its reason; a locked-out protected account's row nothing", async () => {
    const admin = await signedInAdmin(b);
    const undoNever = await lockOut(HOSTING.neverExpires.dn);
    const undoBoard = await lockOut(HOSTING.board.dn);
    undo = async () => {
      await undoBoard();
      await undoNever();
    };
    const lockedRow = async (typed: string) => {
      let listed: Awaited<ReturnType<typeof ask>> | undefined;
      await expect.poll(async () => textOf((listed = await ask(admin, typed)).card), { timeout: 15_000, interval: 1000 }).toMatch(/locked out/);
      return { ...listed!, buttons: buttonsOf(listed!.card).filter((x) => x.data['guid'] !== undefined) };
    };

    const board = await lockedRow('find directie');
    expect(textOf(board.card)).toContain('A protected account');
    expect(board.buttons).toEqual([]);

    const { card, id, buttons } = await lockedRow('find never');
    expect(buttons.map((x) => x.title)).toEqual(['Unlock']);
    expect(textOf(card)).toMatch(/Never Expires[^]*never expires/i);
    const answer = cardOf(await admin.execute('unlock', buttons[0]!.data, id));
    expect(textOf(answer)).toMatch(/unlocked by you at/);
    expect(await bindResult(HOSTING.neverExpires.dn, SEED_PASSWORD)).toBe('ok');
  });

  it('offers no Unlock for an account that is not locked, and says so when asked to unlock it', async () => {
    const admin = await signedInAdmin(b);
    const { card } = await ask(admin, 'unlock jmus');
    expect(textOf(card)).toContain('Joman Mus');
    expect(textOf(card)).toMatch(/Account\nin use/);
    expect(unlockButtons(card)).toHaveLength(0);
    expect(buttonsOf(card).map((x) => x.title)).toEqual(['Reset', 'Mail password']);
  });

  it('in Dutch: ontgrendel shows the card with Ontgrendelen', async () => {
    const admin = await signedInAdmin(b, 'nl-NL');
    undo = await lockOut(HOSTING.bjansen.dn);
    const { card, id } = await ask(admin, 'ontgrendel bjansen');
    expect(textOf(card)).toContain('Accountstatus');
    expect(textOf(card)).toMatch(/vergrendeld sinds/);
    const answer = cardOf(await admin.execute('unlock', button(card, /^Ontgrendelen$/).data, id));
    expect(textOf(answer)).toMatch(/Bert Jansen is om \d{2}:\d{2} door u ontgrendeld/);
    expect(await bindResult(HOSTING.bjansen.dn, SEED_PASSWORD)).toBe('ok');
  });

  it('refuses a Reset button sent as Unlock: the account stays locked', async () => {
    const admin = await signedInAdmin(b);
    undo = await lockOut(HOSTING.bjansen.dn);
    const { card, id } = await ask(admin, 'status bjansen');
    const reset = button(card, /^Reset$/);
    const forged = cardOf(await admin.execute('unlock', { verb: 'unlock', guid: reset.data['guid'], nonce: reset.data['nonce'] }, id));
    expect(textOf(forged)).toContain('not valid for you');
    expect(await bindResult(HOSTING.bjansen.dn, SEED_PASSWORD)).toBe('775');
  });

  it('offers no Unlock for a protected account (a board member), says why, and refuses it whatever a card says', async () => {
    const admin = await signedInAdmin(b);
    undo = await lockOut(HOSTING.board.dn);
    const { card } = await ask(admin, 'status directie');
    expect(textOf(card)).toContain('A protected account');
    expect(buttonsOf(card)).toEqual([]);
    const board = (await b.h.core.directory.resolvePeople(b.h.hosting, HOSTING.board.sam))[0]!;
    const refused = await unlockAccount(await adminOf(b.h, HOSTING.admin), b.h.hosting, { guid: board.guid }, b.h.core).catch((error: unknown) => error);
    expect((refused as AppError).code).toBe('TARGET_PROTECTED');
    expect(await bindResult(HOSTING.board.dn, SEED_PASSWORD)).toBe('775');
    const audits = await unlockAudits(HOSTING.board.dn);
    expect(audits.map((e) => [e.outcome, e.errorCode, e.target?.sam])).toEqual([['refused', 'TARGET_PROTECTED', HOSTING.board.sam]]);
  });

  it('unlocks an account whose password never expires (no password changes, so that is no reason to refuse)', async () => {
    const admin = await signedInAdmin(b);
    undo = await lockOut(HOSTING.neverExpires.dn);
    const { card, id } = await ask(admin, 'status noexp');
    expect(textOf(card)).toMatch(/never expires/);
    const answer = cardOf(await admin.execute('unlock', button(card, /^Unlock$/).data, id));
    expect(textOf(answer)).toMatch(/was unlocked by you/);
    expect(await bindResult(HOSTING.neverExpires.dn, SEED_PASSWORD)).toBe('ok');
  });

  it("refuses another environment's account, whatever the card says: it stays locked", async () => {
    undo = await lockOut(ACME.jdoe.dn);
    const jdoe = (await b.h.core.directory.resolvePeople(b.h.acme, 'acme_jdoe'))[0]!;
    const admin = await adminOf(b.h, HOSTING.admin);
    const refused = await unlockAccount(admin, b.h.hosting, { guid: jdoe.guid }, b.h.core).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('TARGET_OUTSIDE_ENVIRONMENT');
    expect(await bindResult(ACME.jdoe.dn, SEED_PASSWORD)).toBe('775');
    const audited = await b.h.core.audit.recent({ environment: 'hosting', limit: 5 });
    expect(audited[0]).toMatchObject({ action: 'unlock', outcome: 'refused', errorCode: 'TARGET_OUTSIDE_ENVIRONMENT' });
  });

  it('right after a reset, says the account waits for the employee to choose a password', async () => {
    const admin = await signedInAdmin(b);
    try {
      const { card, id } = await ask(admin, 'reset jmus');
      dialogCardOf(await admin.taskFetch(button(card, /^Reset$/).data, id));
      const { card: status } = await ask(admin, 'status jmus');
      expect(textOf(status)).toMatch(/Password\nwaiting for the employee to choose a password/);
    } finally {
      await restoreSeedPassword(HOSTING.jmus.dn);
    }
  });
});
