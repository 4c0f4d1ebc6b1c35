/** /readyz answers from the last check of the tenants file against the directory, with no detail. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBotHarness, type BotHarness } from '../support/bot-harness.js';

let b: BotHarness;
beforeAll(async () => {
  b = await startBotHarness();
});
afterAll(async () => {
  await b.close();
});

describe('readiness', () => {
  it('is ready when every admin group exists and is a security group', async () => {
    const response = await fetch(`${b.bot.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready' });
  });
});
