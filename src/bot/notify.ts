/**
 * Messages the bot sends first, later: to an admin's personal conversation, from the reference
 * kept in the state store (any instance can send them, also after a restart). The reference is
 * saved on each turn of an admitted caller, and written only when it changed.
 */
import type { TeamsAdapter } from '@microsoft/teams-ai/lib/TeamsAdapter.js';
import { ActivityTypes, TurnContext, type ConversationReference } from 'botbuilder';
import type { Config } from '../config/config.js';
import { fill, type Language } from '../i18n/translations.js';
import type { Logger } from '../log/logger.js';
import type { FollowUpEvent } from '../reset/follow-up.js';
import { conversationReferenceSchema, type ConversationStore, type TeamsUser } from '../state/chat.js';
import { languageOf, type Caller } from './caller.js';
import * as cards from './cards.js';
import type { Card } from './context.js';
import { TEXTS } from './texts.js';

/** Sends a card, in the admin's language, to their personal conversation; false when there is no reference. */
export type Notify = (user: TeamsUser, render: (language: Language) => Card) => Promise<boolean>;

/** The last reference saved per user by this process, so an unchanged one costs no write. At most this many. */
const REMEMBERED = 10_000;

export function createConversationKeeper(conversations: ConversationStore, log: Logger) {
  const saved = new Map<string, string>();
  return async (context: TurnContext, caller: Caller): Promise<void> => {
    const parsed = conversationReferenceSchema.safeParse(TurnContext.getConversationReference(context.activity));
    if (!parsed.success) return;
    const key = `${caller.teamsTenantId}/${caller.aadObjectId}`;
    const json = JSON.stringify(parsed.data);
    if (saved.get(key) === json) return;
    try {
      await conversations.save(caller, parsed.data);
      if (saved.size >= REMEMBERED) saved.clear();
      saved.set(key, json);
    } catch (error) {
      // The turn goes on: only later messages to this admin depend on it.
      log.warn({ code: 'CONVERSATION_NOT_SAVED', cause: String(error) }, 'the conversation reference was not saved');
    }
  };
}

export function createNotifier(adapter: TeamsAdapter, config: Config, conversations: ConversationStore): Notify {
  return async (user, render) => {
    const reference = await conversations.get(user);
    if (!reference) return false;
    const card = render(languageOf(reference.locale));
    await adapter.continueConversationAsync(config.bot.appId, reference as Partial<ConversationReference>, async (context) => {
      await context.sendActivity({ type: ActivityTypes.Message, attachments: [card] });
    });
    return true;
  };
}

/** "24 hours", "1 minuut": the unit the setting divides into. */
function duration(language: Language, minutes: number): string {
  const [value, unit] = minutes % 60 === 0 ? [minutes / 60, 'hour'] : [minutes, 'minute'];
  return new Intl.NumberFormat(language, { style: 'unit', unit, unitDisplay: 'long' }).format(value);
}

/** What the admin who reset a password is told about it later. */
export function followUpCard(language: Language, event: FollowUpEvent): Card {
  const t = TEXTS[language].chat;
  const name = event.reset.accountName;
  switch (event.kind) {
    case 'chosen':
      return cards.messageCard(language, { kind: 'info', text: fill(t.passwordChosen, { name }) });
    case 'expired':
      return cards.messageCard(language, { kind: 'info', text: fill(t.passwordExpired, { name, duration: duration(language, event.afterMinutes) }) });
    case 'link-expired':
      return cards.messageCard(language, { kind: 'info', text: fill(t.linkExpired, { name }) });
  }
}
