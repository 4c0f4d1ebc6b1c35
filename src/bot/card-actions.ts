/**
 * The data behind every card button, in one place: which verbs exist, what a button carries, and
 * what the bot accepts back. Card data comes from the client and is untrusted, so everything the
 * bot receives goes through `parseCardAction` (strict zod schemas, capped lengths) and is then
 * re-checked by the use cases; the card builders make their button data with `buttonData`, which
 * checks it against the same schemas, so a card can never offer a button the bot would refuse.
 *
 * How the data arrives (see STACK.md):
 * - Action.Execute: `invoke` `adaptiveCard/action`, `value.action.data` = button data + the card's
 *   inputs (`verb` is also on the action itself).
 * - Action.Submit with `msteams: { type: 'task/fetch' }`: `invoke` `task/fetch`, `value.data` = the
 *   button data, `msteams` included.
 * - Action.Submit inside a dialog: `invoke` `task/submit`, `value.data` = the button data.
 */
import { z } from 'zod';

export const CARD_VERBS = [
  'signin',
  'env.choose',
  'list',
  'reset',
  'mail.form',
  'mail.send',
  'reveal',
  'pick',
  'dialog.close',
  'reset.check',
  'unlock',
  'mail.cancel',
] as const;

export const cardVerbSchema = z.enum(CARD_VERBS);
export type CardVerb = z.infer<typeof cardVerbSchema>;

/** Buttons that are an Action.Submit opening a Teams dialog (the answer is a `task/fetch` response). */
export const TASK_FETCH_VERBS = ['reset', 'reveal'] as const satisfies readonly CardVerb[];

export function isTaskFetchVerb(verb: CardVerb): boolean {
  return (TASK_FETCH_VERBS as readonly CardVerb[]).includes(verb);
}

/** objectGUID as the directory module writes it (src/directory/sid.ts). */
export const guidSchema = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
/** A one-time confirmation token (base64url). */
export const nonceSchema = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/);
/** As src/config/config.ts allows a tenant key. */
export const tenantKeySchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/);
export const MAX_SEARCH_LENGTH = 100;

/** A PageCursor (src/directory/directory.ts) as it travels in a button. */
export const pageCursorSchema = z
  .object({
    displayName: z.string().max(256),
    guid: guidSchema,
  })
  .strict();

const searchSchema = z.string().trim().max(MAX_SEARCH_LENGTH);
const pageSchema = z.number().int().min(1).max(100_000);
/** Teams adds nothing else, but the task/fetch marker is part of the button data: allowed, then dropped. */
const msteamsSchema = z.record(z.string(), z.unknown()).optional();

// What each button carries. Inputs of the card are merged in by the client (below).
// `list`: `search` is typed in the box (Search) or kept from the shown page (Previous/Next);
// `page` is the number of the page the card showed, `after`/`before` say which way to go from it.
const signinButton = z.object({ verb: z.literal('signin') }).strict();
const envChooseButton = z.object({ verb: z.literal('env.choose'), tenantKey: tenantKeySchema }).strict();
const listButton = z
  .object({
    verb: z.literal('list'),
    search: searchSchema.optional(),
    after: pageCursorSchema.optional(),
    before: pageCursorSchema.optional(),
    page: pageSchema.optional(),
  })
  .strict();
/**
 * The list page a row's button was pressed on, as the request that reads that page again: after the
 * action the list card comes back with that row changed and every row's buttons working (Teams
 * replaces a whole card). Absent on buttons of a single employee's card.
 */
const listOriginSchema = z
  .object({
    search: searchSchema.optional(),
    after: pageCursorSchema.optional(),
    before: pageCursorSchema.optional(),
    page: pageSchema.optional(),
  })
  .strict();
export type ListOrigin = z.infer<typeof listOriginSchema>;
const resetButton = z
  .object({ verb: z.literal('reset'), guid: guidSchema, nonce: nonceSchema, list: listOriginSchema.optional(), msteams: msteamsSchema })
  .strict();
const mailFormButton = z.object({ verb: z.literal('mail.form'), guid: guidSchema, list: listOriginSchema.optional() }).strict();
const mailSendButton = z.object({ verb: z.literal('mail.send'), guid: guidSchema, nonce: nonceSchema, list: listOriginSchema.optional() }).strict();
/** The mail form's Cancel: back to the card it came from (the list page, or the employee's card). */
const mailCancelButton = z.object({ verb: z.literal('mail.cancel'), guid: guidSchema, list: listOriginSchema.optional() }).strict();
const revealButton = z.object({ verb: z.literal('reveal'), guid: guidSchema, nonce: nonceSchema, msteams: msteamsSchema }).strict();
/** What the picked employee is shown for: `status` (and unlock) show the same card as `reset`. */
export const pickIntentSchema = z.enum(['reset', 'mail', 'status']);
const pickButton = z
  .object({ verb: z.literal('pick'), guid: guidSchema, intent: pickIntentSchema })
  .strict();
/** Unlock: Action.Execute with a single-use confirmation of its own purpose; from a list row, that list comes back. */
const unlockButton = z.object({ verb: z.literal('unlock'), guid: guidSchema, nonce: nonceSchema, list: listOriginSchema.optional() }).strict();
const dialogCloseButton = z.object({ verb: z.literal('dialog.close'), msteams: msteamsSchema }).strict();
/** Check again: what became of a password change the directory did not confirm (its audit correlation id). */
const resetCheckButton = z.object({ verb: z.literal('reset.check'), guid: guidSchema, correlationId: z.string().uuid() }).strict();

const notBothDirections = (d: { after?: unknown; before?: unknown }) => d.after === undefined || d.before === undefined;
const BOTH_DIRECTIONS = { message: 'after and before together', path: ['before'] };

const BUTTON_SCHEMAS = {
  signin: signinButton,
  'env.choose': envChooseButton,
  list: listButton.refine(notBothDirections, BOTH_DIRECTIONS),
  reset: resetButton,
  'mail.form': mailFormButton,
  'mail.send': mailSendButton,
  reveal: revealButton,
  pick: pickButton,
  'dialog.close': dialogCloseButton,
  'reset.check': resetCheckButton,
  unlock: unlockButton,
  'mail.cancel': mailCancelButton,
} as const satisfies Record<CardVerb, z.ZodTypeAny>;

/**
 * What the bot accepts back per verb: the button data plus the inputs the client merges in
 * (`login`/`password`, `search`, `address`/`language`). An input left empty may arrive as "" or
 * not at all; both read as "" so the use case can say what is missing.
 */
export const CARD_ACTION_SCHEMAS = {
  signin: signinButton
    .extend({ login: z.string().trim().max(256).default(''), password: z.string().max(256).default('') })
    .strict(),
  'env.choose': envChooseButton,
  list: listButton.refine(notBothDirections, BOTH_DIRECTIONS),
  reset: resetButton,
  'mail.form': mailFormButton,
  'mail.send': mailSendButton
    // No language chosen arrives as "" or not at all: the form comes back with the field marked.
    .extend({ address: z.string().trim().max(320).default(''), language: z.union([z.enum(['nl', 'en']), z.literal('')]).default('') })
    .strict(),
  reveal: revealButton,
  pick: pickButton,
  'dialog.close': dialogCloseButton,
  'reset.check': resetCheckButton,
  unlock: unlockButton,
  'mail.cancel': mailCancelButton,
} as const satisfies Record<CardVerb, z.ZodTypeAny>;

type ActionSchemas = typeof CARD_ACTION_SCHEMAS;
type ButtonSchemas = typeof BUTTON_SCHEMAS;

/** What the bot gets for a verb, without `verb` and `msteams`. */
export type CardActionData<V extends CardVerb> = Omit<z.output<ActionSchemas[V]>, 'verb' | 'msteams'>;

/** The parsed action: switch on `verb`, and `data` has that verb's shape. */
export type CardAction = { [V in CardVerb]: { readonly verb: V; readonly data: CardActionData<V> } }[CardVerb];

/** What a card builder supplies for a button (never the inputs: those come from the card). */
export type ButtonFields<V extends CardVerb> = Omit<z.input<ButtonSchemas[V]>, 'verb' | 'msteams'>;

/** A button's `data`: the verb, its fields, and for dialog buttons the task/fetch marker. */
export type ButtonData<V extends CardVerb> = Omit<z.output<ButtonSchemas[V]>, 'msteams'> & {
  readonly msteams?: { readonly type: 'task/fetch' };
};

/**
 * Builds a button's `data` and checks it against the schema the bot will parse it with; throws
 * (a programming error) when a builder would put something there that the bot must refuse.
 */
export function buttonData<V extends CardVerb>(verb: V, fields: ButtonFields<V>): ButtonData<V> {
  const data = isTaskFetchVerb(verb)
    ? { msteams: { type: 'task/fetch' as const }, verb, ...fields }
    : { verb, ...fields };
  const schema: z.ZodTypeAny = BUTTON_SCHEMAS[verb];
  const checked = schema.safeParse(data);
  if (!checked.success) {
    // Name the fields, never their values: a button may hold a nonce.
    const fieldsInError = checked.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
    throw new Error(`invalid data for card button "${verb}": ${fieldsInError}`);
  }
  return data as unknown as ButtonData<V>;
}

/**
 * Reads what a card sent back. Returns null for anything that is not exactly one of our buttons:
 * an unknown verb, a missing or extra key, a bad GUID or nonce, an over-long string.
 */
export function parseCardAction(value: unknown): CardAction | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const verb = cardVerbSchema.safeParse((value as Record<string, unknown>)['verb']);
  if (!verb.success) return null;
  const schema: z.ZodTypeAny = CARD_ACTION_SCHEMAS[verb.data];
  const parsed = schema.safeParse(value);
  if (!parsed.success) return null;
  const { verb: _verb, msteams: _msteams, ...data } = parsed.data as Record<string, unknown>;
  return { verb: verb.data, data } as CardAction;
}
