/**
 * Paging through a whole environment the way an admin does in Teams: `list`, then Next until there
 * is none, over the bot's real HTTP endpoint. Fabrikam has 25 people named "Jan de Vries", so a
 * page of 20 ends inside them: the same code path as an environment of 10,000.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBotHarness, type BotHarness } from '../support/bot-harness.js';
import { FABRIKAM, FABRIKAM_TEAMS_TENANT, FABRIKAM_TWIN_COUNT, fabrikamTwin, SEED_PASSWORD } from '../support/fixtures.js';
import { buttonsOf, cardOf, textOf, type CardJson } from '../support/teams.js';

let b: BotHarness;
beforeAll(async () => {
  b = await startBotHarness();
});
afterAll(async () => {
  await b.close();
});

/** The pre-Windows names shown on a list card, in order. */
const samsOn = (card: CardJson) => textOf(card).match(/\bfab_[a-z0-9]+\b/g) ?? [];

describe('paging through an environment in Teams', () => {
  it('shows each person exactly once from `list` to the last Next, namesakes across the page boundary included', async () => {
    const admin = b.user({ teamsTenantId: FABRIKAM_TEAMS_TENANT });
    const [signInCall] = await admin.say('signin');
    const signedIn = await admin.execute('signin', { verb: 'signin', login: FABRIKAM.admin.upn, password: SEED_PASSWORD }, signInCall!.id);
    expect(textOf(cardOf(signedIn))).toContain('Fabrikam');

    const [listCall] = await admin.say('list');
    let card = cardOf(listCall!);
    const pages = [samsOn(card)];
    for (let next = buttonsOf(card).find((x) => /Next/.test(x.title)); next; next = buttonsOf(card).find((x) => /Next/.test(x.title))) {
      expect(pages.length).toBeLessThan(10);
      card = cardOf(await admin.execute(next.verb ?? '', next.data, listCall!.id));
      pages.push(samsOn(card));
    }
    const shown = pages.flat();
    const expected = [
      FABRIKAM.admin,
      FABRIKAM.aaron,
      FABRIKAM.zora,
      FABRIKAM.trailingSpace,
      FABRIKAM.comma,
      FABRIKAM.hash,
      FABRIKAM.plus,
      ...Array.from({ length: FABRIKAM_TWIN_COUNT }, (_, i) => fabrikamTwin(i + 1)),
    ].map((p) => p.sam);
    expect(pages.map((p) => p.length)).toEqual([20, expected.length - 20]);
    expect([...shown].sort()).toEqual([...expected].sort());
    // The boundary falls among the namesakes: some of them on each page.
    const twins = new Set(expected.filter((s) => s.startsWith('fab_jdv')));
    expect(pages.map((p) => p.filter((s) => twins.has(s)).length).every((n) => n > 0)).toBe(true);
  });
});
