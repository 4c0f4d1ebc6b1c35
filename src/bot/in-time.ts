/**
 * Teams waits only a few seconds for an invoke: answer with the work's result if it comes in time,
 * otherwise with a placeholder, and hand the result to `later` (which updates the card) when it comes.
 */
import type { Logger } from '../log/logger.js';

export async function answerInTime<T>(work: Promise<T>, withinMs: number, placeholder: () => T, later: (result: T) => Promise<void>, log: Logger): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<'slow'>((resolve) => {
    timer = setTimeout(() => resolve('slow'), withinMs);
  });
  const first = await Promise.race([work, slow]);
  clearTimeout(timer);
  if (first !== 'slow') return first;
  void work.then(later).catch((error: unknown) => log.error({ code: 'CARD_UPDATE_FAILED', cause: String(error) }, 'could not update the card'));
  return placeholder();
}
