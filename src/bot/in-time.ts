/**
 * Teams waits only a few seconds for an invoke, counted from when the request arrived (the
 * server stamps it, RECEIVED_AT): answer with the work's result if it comes in time, otherwise
 * with a placeholder, and hand the result to `later` (which updates the card) when it comes.
 */
import type { Logger } from '../log/logger.js';

/** The turn-state key under which src/bot/server.ts keeps when the request arrived (epoch ms). */
export const RECEIVED_AT = Symbol('receivedAt');

/** 'done' when `work` settled (either way) by `deadline` (epoch ms), 'late' otherwise. */
export async function withinDeadline(work: Promise<unknown>, deadline: number): Promise<'done' | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), Math.max(0, deadline - Date.now()));
  });
  const done = work.then(
    () => 'done' as const,
    () => 'done' as const,
  );
  try {
    return await Promise.race([done, late]);
  } finally {
    clearTimeout(timer);
  }
}

export async function answerInTime<T>(work: Promise<T>, deadline: number, placeholder: () => T, later: (result: T) => Promise<void>, log: Logger): Promise<T> {
  if ((await withinDeadline(work, deadline)) === 'done') return work;
  void work.then(later).catch((error: unknown) => log.error({ code: 'CARD_UPDATE_FAILED', cause: String(error) }, 'could not update the card'));
  return placeholder();
}
