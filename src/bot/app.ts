/**
 * teams-ai wiring: routes Teams activities to the handlers and turns their cards into replies,
 * invoke responses and card updates. This file is the only one that knows the Teams SDK.
 */
// teams-ai's own modules, not its index: the index also loads its AI half (OpenAI client,
// tokenizers, embeddings, planners), which this bot never uses: about 0.3 s of CPU and 20 MB at start.
import { Application } from '@microsoft/teams-ai/lib/Application.js';
import { TeamsAdapter } from '@microsoft/teams-ai/lib/TeamsAdapter.js';
import { TurnState } from '@microsoft/teams-ai/lib/TurnState.js';
import { ActivityTypes, type ConversationReference, type TaskModuleTaskInfo, TurnContext } from 'botbuilder';
import type { Config } from '../config/config.js';
import { AppError } from '../errors/catalog.js';
import type { Logger } from '../log/logger.js';
import { callerOf, languageOf, type Caller } from './caller.js';
import { parseCardAction } from './card-actions.js';
import * as cards from './cards.js';
import { RECEIVED_AT } from './in-time.js';
import { TEXTS } from './texts.js';
import { helpFor } from './views.js';
import { assertCallerAllowed, handleExecute, handleMessage, handleTaskFetch, type BotDeps, type Card } from './handlers.js';

export function createAdapter(config: Config, log: Logger): TeamsAdapter {
  // Without an app id the adapter checks no token (local mode); the SDK accepts that only as MultiTenant.
  const adapter = new TeamsAdapter(
    config.bot.unauthenticated
      ? { MicrosoftAppId: '', MicrosoftAppPassword: '', MicrosoftAppType: 'MultiTenant' }
      : {
          MicrosoftAppId: config.bot.appId,
          MicrosoftAppPassword: config.bot.appPassword,
          MicrosoftAppType: config.bot.appType,
          MicrosoftAppTenantId: config.bot.tenantId,
        },
  );
  adapter.onTurnError = async (context, error) => {
    // Never the error text in the chat: a reference the operator can grep for.
    log.error({ code: 'TURN_FAILED', err: { name: error.name, message: error.message, stack: error.stack } }, 'unhandled error in a turn');
    if (context.activity.type === ActivityTypes.Message) {
      const language = languageOf(context.activity.locale);
      await context.sendActivity({ attachments: [cards.messageCard(language, { kind: 'error', text: new AppError('INTERNAL').userMessage(language) })] }).catch(() => undefined);
    }
  };
  return adapter;
}

/** When the request arrived (src/bot/server.ts stamps it): Teams' time budget starts there. */
function receivedAt(context: TurnContext): number {
  const at: unknown = context.turnState.get(RECEIVED_AT);
  return typeof at === 'number' ? at : Date.now();
}

function taskInfo(response: ReturnType<typeof cards.passwordDialog>): TaskModuleTaskInfo {
  return response.task.value as TaskModuleTaskInfo;
}

/** `keep` saves the conversation reference of each admitted caller, for later messages (notify.ts). */
export function createBotApplication(
  adapter: TeamsAdapter,
  config: Config,
  deps: BotDeps,
  keep: (context: TurnContext, caller: Caller) => Promise<void>,
): Application<TurnState> {
  const app = new Application<TurnState>({
    adapter,
    botAppId: config.bot.appId,
    removeRecipientMention: true,
    // The typing indicator would post extra activities for every message; answers are quick.
    startTypingTimer: false,
    longRunningMessages: false,
    turnStateFactory: () => new TurnState(),
  });

  /** The caller, or null after answering with the reason they are refused (nothing else happens). */
  const admit = (context: TurnContext): { ok: true; caller: Caller } | { ok: false; card: Card } => {
    const caller = callerOf(context.activity);
    const language = languageOf(context.activity.locale);
    try {
      // Without a Teams tenant and user there is no one to serve.
      if (!caller) throw new AppError('TEAMS_TENANT_NOT_ALLOWED');
      assertCallerAllowed(deps, caller);
      void keep(context, caller);
      return { ok: true, caller };
    } catch (error) {
      const appError = error instanceof AppError ? error : new AppError('INTERNAL', { cause: error });
      deps.log.warn({ code: appError.code, teamsTenant: caller?.teamsTenantId ?? null, conversationType: context.activity.conversation?.conversationType }, 'request refused');
      return { ok: false, card: cards.messageCard(caller?.language ?? language, { kind: 'error', text: appError.userMessage(caller?.language ?? language) }) };
    }
  };

  /** Updates a card after its invoke was answered, outside the turn that is gone by then. */
  const updateLater = (context: TurnContext) => {
    const reference: Partial<ConversationReference> = TurnContext.getConversationReference(context.activity);
    const cardId = context.activity.replyToId;
    return async (card: Card) => {
      if (!cardId) return;
      await adapter.continueConversationAsync(config.bot.appId, reference, async (later) => {
        await later.updateActivity({ id: cardId, type: ActivityTypes.Message, attachments: [card] });
      });
    };
  };

  /** Sends a new message to the conversation after the invoke was answered. */
  const postLater = (context: TurnContext) => {
    const reference: Partial<ConversationReference> = TurnContext.getConversationReference(context.activity);
    return async (card: Card) => {
      await adapter.continueConversationAsync(config.bot.appId, reference, async (later) => {
        await later.sendActivity({ type: ActivityTypes.Message, attachments: [card] });
      });
    };
  };

  app.activity(ActivityTypes.Message, async (context) => {
    const admitted = admit(context);
    if (!admitted.ok) {
      await context.sendActivity({ attachments: [admitted.card] });
      return;
    }
    const { caller } = admitted;
    const text = typeof context.activity.text === 'string' ? context.activity.text.slice(0, 1000) : '';
    const card = await handleMessage(deps, caller, text);
    await context.sendActivity({ attachments: [card] });
  });

  app.conversationUpdate('membersAdded', async (context) => {
    const botId = context.activity.recipient?.id;
    if (!context.activity.membersAdded?.some((m) => m.id === botId)) return;
    const admitted = admit(context);
    if (!admitted.ok) {
      await context.sendActivity({ attachments: [admitted.card] });
      return;
    }
    const { caller } = admitted;
    await context.sendActivity({ attachments: [await helpFor(deps, caller), cards.signInCard(caller.language, {})] });
  });

  app.adaptiveCards.actionExecute(/^[a-z.]+$/, async (context) => {
    const admitted = admit(context);
    if (!admitted.ok) return admitted.card.content;
    const { caller } = admitted;
    const action = parseCardAction(context.activity.value?.action?.data);
    if (!action) {
      deps.log.warn({ code: 'CARD_NOT_VALID', teamsUser: caller.aadObjectId }, 'card data refused');
      return cards.messageCard(caller.language, { kind: 'error', text: new AppError('CARD_NOT_VALID').userMessage(caller.language) }).content;
    }
    const card = await handleExecute(deps, caller, action, updateLater(context), postLater(context), receivedAt(context));
    return card.content;
  });

  app.taskModules.fetch(/^[a-z.]+$/, async (context) => {
    const admitted = admit(context);
    if (!admitted.ok) return { title: TEXTS.en.chat.dialogTitle, card: admitted.card };
    const { caller } = admitted;
    const action = parseCardAction(context.activity.value?.data);
    if (!action) {
      const card = cards.messageCard(caller.language, { kind: 'error', text: new AppError('CARD_NOT_VALID').userMessage(caller.language) });
      return { title: TEXTS[caller.language].chat.dialogTitle, card };
    }
    // The chat card is updated after the dialog was answered: outside this turn, which is over by then.
    return taskInfo(await handleTaskFetch(deps, caller, action, updateLater(context), receivedAt(context)));
  });

  // The dialog's only button closes it: nothing to do, and nothing echoed back.
  app.taskModules.submit(/^[a-z.]+$/, async () => null);

  return app;
}
