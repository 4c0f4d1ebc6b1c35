// The playground's chat: plays the Teams client for the bot, over the Bot Framework protocol.
//
// - Messages and invokes are Activities POSTed to the bot's /api/messages, with this server's
//   stand-in Bot Connector as serviceUrl. An invoke's answer is the body of that POST.
// - What the bot posts, updates (PUT) or deletes at the stand-in connector arrives here as
//   Server-Sent Events from /playground/events.
// - Cards are rendered by Microsoft's Adaptive Cards renderer (window.AdaptiveCards).
'use strict';

(() => {
  // /playground/outbox is this page showing the outbox alone (outbox.js fills it): no chat starts.
  if (/\/outbox\/?$/.test(window.location.pathname)) {
    document.body.classList.add('outbox-page');
    return;
  }
  const AC = window.AdaptiveCards;
  const md = window.markdownit({ html: false, linkify: true, breaks: true });
  AC.AdaptiveCard.onProcessMarkdown = (text, result) => {
    result.outputHtml = md.render(text);
    result.didProcess = true;
  };

  const BOT = { id: '28:password-reset-bot', name: 'Password Reset' };
  const CARD = 'application/vnd.microsoft.card.adaptive';

  const TEXTS = {
    'en-US': {
      placeholder: 'Type a message',
      tenant: 'Teams tenant',
      outbox: 'Outbox',
      connected: 'Local bot · connected',
      connecting: 'Connecting…',
      you: 'You',
      edited: 'Edited',
      welcomeBack: 'New conversation. You may still be signed in: type help or list.',
      otherTenant: 'Teams tenant {tenant}: another conversation starts here (Teams keeps one chat with the bot per tenant).',
      failed: 'The bot did not answer',
      unreadable: 'This card could not be shown.',
      language: 'Language',
      chat: 'Chat',
      conversation: 'Conversation',
      message: 'Message',
      send: 'Send',
      closeDialog: 'Close dialog',
      card: 'Card',
    },
    'nl-NL': {
      placeholder: 'Typ een bericht',
      tenant: 'Teams-tenant',
      outbox: 'Postvak uit',
      connected: 'Lokale bot · verbonden',
      connecting: 'Verbinden…',
      you: 'U',
      edited: 'Bewerkt',
      welcomeBack: 'Nieuw gesprek. Mogelijk bent u nog aangemeld: typ help of lijst.',
      otherTenant: 'Teams-tenant {tenant}: hier begint een ander gesprek (Teams houdt per tenant één chat met de bot).',
      failed: 'De bot gaf geen antwoord',
      unreadable: 'Deze kaart kan niet worden getoond.',
      language: 'Taal',
      chat: 'Chat',
      conversation: 'Gesprek',
      message: 'Bericht',
      send: 'Verstuur',
      closeDialog: 'Venster sluiten',
      card: 'Kaart',
    },
  };

  // Teams' light theme, roughly.
  const colors = (accent) => ({
    default: { default: '#242424', subtle: '#616161' },
    dark: { default: '#242424', subtle: '#616161' },
    light: { default: '#FFFFFF', subtle: '#F0F0F0' },
    accent: { default: accent, subtle: '#7F85F5' },
    good: { default: '#0E700E', subtle: '#107C10' },
    warning: { default: '#8A3707', subtle: '#BC4B09' },
    attention: { default: '#C4314B', subtle: '#D13438' },
  });
  const HOST_CONFIG = new AC.HostConfig({
    fontFamily: "'Segoe UI', 'Segoe UI Web (West European)', system-ui, -apple-system, 'Helvetica Neue', Arial, sans-serif",
    supportsInteractivity: true,
    spacing: { small: 4, default: 8, medium: 16, large: 20, extraLarge: 24, padding: 16 },
    separator: { lineThickness: 1, lineColor: '#E0E0E0' },
    fontTypes: {
      default: {
        fontFamily: "'Segoe UI', system-ui, -apple-system, 'Helvetica Neue', Arial, sans-serif",
        fontSizes: { small: 12, default: 14, medium: 16, large: 18, extraLarge: 24 },
        fontWeights: { lighter: 300, default: 400, bolder: 600 },
      },
      monospace: {
        fontFamily: "'Cascadia Mono', Consolas, 'DejaVu Sans Mono', monospace",
        fontSizes: { small: 12, default: 14, medium: 16, large: 18, extraLarge: 24 },
        fontWeights: { lighter: 300, default: 400, bolder: 600 },
      },
    },
    containerStyles: {
      default: { backgroundColor: '#FFFFFF', foregroundColors: colors('#5B5FC7') },
      emphasis: { backgroundColor: '#F5F5F5', foregroundColors: colors('#5B5FC7') },
      accent: { backgroundColor: '#E8EBFA', foregroundColors: colors('#4F52B2') },
      good: { backgroundColor: '#F1FAF1', foregroundColors: colors('#5B5FC7') },
      attention: { backgroundColor: '#FDF3F4', foregroundColors: colors('#5B5FC7') },
      warning: { backgroundColor: '#FFF9F5', foregroundColors: colors('#5B5FC7') },
    },
    actions: {
      maxActions: 6,
      spacing: 'default',
      buttonSpacing: 8,
      showCard: { actionMode: 'inline', inlineTopMargin: 16 },
      actionsOrientation: 'horizontal',
      actionAlignment: 'left',
    },
    adaptiveCard: { allowCustomStyle: true },
    inputs: {
      label: {
        requiredInputs: { weight: 'bolder', suffix: ' *', suffixColor: 'attention' },
        optionalInputs: { weight: 'bolder' },
      },
      errorMessage: { size: 'small', color: 'attention' },
    },
  });

  // ------------------------------------------------------------------ state

  const $ = (id) => document.getElementById(id);
  const chat = $('chat');
  const input = $('message');
  const dialog = $('dialog');

  function randomId() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function remembered(key, make) {
    let value = localStorage.getItem(`playground.${key}`);
    if (!value) {
      value = make();
      localStorage.setItem(`playground.${key}`, value);
    }
    return value;
  }

  /** The Teams user this browser plays: one random Entra object id, kept. */
  const userId = remembered('userId', randomId);
  const state = {
    config: null,
    tenantId: '',
    locale: remembered('locale', () => (navigator.language.toLowerCase().startsWith('nl') ? 'nl-NL' : 'en-US')),
    conversationId: '',
    events: null,
    /** activity id → its message element in the chat */
    messages: new Map(),
    /** What a reload shows again (see "the kept chat"). */
    kept: null,
  };
  const t = (key) => (TEXTS[state.locale] || TEXTS['en-US'])[key];

  // ------------------------------------------------------------------ talking to the bot

  function activity(fields) {
    return {
      id: randomId(),
      channelId: 'msteams',
      serviceUrl: state.config.serviceUrl,
      timestamp: new Date().toISOString(),
      locale: state.locale,
      localTimezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      from: { id: `29:${userId}`, aadObjectId: userId, name: t('you') },
      recipient: BOT,
      conversation: { id: state.conversationId, conversationType: 'personal', tenantId: state.tenantId },
      channelData: { tenant: { id: state.tenantId } },
      ...fields,
    };
  }

  /** Posts an Activity; resolves with the HTTP answer's body (an invoke's response), if any. */
  async function post(fields) {
    const response = await fetch('/api/messages', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(activity(fields)),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${t('failed')} (HTTP ${response.status})`);
    return text ? JSON.parse(text) : undefined;
  }

  function invoke(name, value, replyToId) {
    return post({ type: 'invoke', name, value, ...(replyToId ? { replyToId } : {}) });
  }

  async function sendText(text) {
    addUserMessage(text, new Date().toISOString());
    try {
      await post({ type: 'message', text, textFormat: 'plain' });
    } catch (error) {
      note(error.message, 'error');
    }
  }

  // ------------------------------------------------------------------ rendering

  /** A node with a class and text (from outbox.js, which index.html loads first). */
  const element = window.playgroundElement;

  function timeOf(iso) {
    return new Date(iso || Date.now()).toLocaleTimeString(state.locale, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  }

  function scrollDown() {
    chat.scrollTop = chat.scrollHeight;
  }

  let renderedCards = 0;

  /**
   * The renderer names a radio group after its input's id, so the same form twice in the chat (two
   * mail forms) was one group to the browser: a choice in the newer cleared the older. Each rendered
   * card gets names of its own; the card still reads its inputs, and submits them, by their ids.
   */
  function keepChoicesApart(rendered) {
    const prefix = `card${++renderedCards}.`;
    for (const radio of rendered.querySelectorAll('input[type=radio]')) radio.name = prefix + radio.name;
  }

  /** Enter in a password field does what the card's main button does (the sign-in), as in a sign-in form. */
  function submitOnEnter(card, rendered) {
    const submits = [];
    for (let i = 0; i < card.getActionCount(); i++) {
      const action = card.getActionAt(i);
      if (['Action.Execute', 'Action.Submit'].includes(action.getJsonTypeName())) submits.push(action);
    }
    const main = submits.find((action) => action.style === 'positive') ?? (submits.length === 1 ? submits[0] : undefined);
    if (!main) return;
    for (const field of rendered.querySelectorAll('input[type=password]')) {
      field.addEventListener('keydown', (event) => {
        if (event.key !== 'Enter' || event.isComposing) return;
        event.preventDefault();
        main.execute();
      });
    }
  }

  /** An Adaptive Card, rendered; its buttons call onAction(action). */
  function renderCard(content, onAction) {
    const card = new AC.AdaptiveCard();
    card.hostConfig = HOST_CONFIG;
    card.onExecuteAction = onAction;
    try {
      card.parse(content, new AC.SerializationContext(AC.Versions.v1_5));
      const rendered = card.render();
      if (rendered) {
        keepChoicesApart(rendered);
        submitOnEnter(card, rendered);
        return rendered;
      }
    } catch (error) {
      console.error('card not rendered', error);
    }
    return element('div', 'card-error', t('unreadable'));
  }

  /**
   * One card of a bot message; it re-renders itself when an Action.Execute answers with a card,
   * and that card is what the chat keeps for this message (as Teams does).
   */
  function chatCard(content, activityId, index) {
    const holder = element('div', 'card');
    holder.setAttribute('role', 'group');
    holder.dataset.label = 'card';
    holder.setAttribute('aria-label', t('card'));
    const render = (card) => holder.replaceChildren(renderCard(card, (action) => onChatAction(action, holder, activityId, show)));
    const show = (card) => {
      render(card);
      keptCardAnswer(activityId, index, card);
    };
    render(content);
    return holder;
  }

  function fillBotMessage(node, a, edited) {
    const body = element('div', 'bubble-stack');
    const meta = element('div', 'meta');
    meta.append(element('span', 'name', BOT.name), element('span', 'time', timeOf(a.timestamp)));
    if (edited) meta.append(element('span', 'edited', t('edited')));
    body.append(meta);
    if (a.text) {
      const text = element('div', 'bubble text');
      text.innerHTML = md.render(String(a.text));
      body.append(text);
    }
    (a.attachments || []).forEach((attachment, index) => {
      if (attachment.contentType === CARD) body.append(chatCard(attachment.content, a.id, index));
    });
    const avatar = element('span', 'avatar bot', 'PR');
    avatar.setAttribute('aria-hidden', 'true');
    node.replaceChildren(avatar, body);
  }

  function addBotMessage(a, edited = false) {
    if (a.type !== 'message') return;
    if (state.messages.has(a.id)) return updateBotMessage(a);
    const node = element('div', 'message from-bot');
    node.dataset.activityId = a.id;
    node.dataset.timestamp = a.timestamp || new Date().toISOString();
    fillBotMessage(node, a, edited);
    state.messages.set(a.id, node);
    chat.append(node);
    scrollDown();
    keepEntry({ kind: 'bot', activity: keptActivity({ ...a, timestamp: node.dataset.timestamp }), edited });
  }

  function updateBotMessage(a) {
    const node = state.messages.get(a.id);
    if (!node) return addBotMessage(a, true);
    fillBotMessage(node, { ...a, timestamp: node.dataset.timestamp }, true);
    keptUpdate(keptActivity({ ...a, timestamp: node.dataset.timestamp }));
  }

  function deleteBotMessage(id) {
    state.messages.get(id)?.remove();
    state.messages.delete(id);
    keptDelete(id);
  }

  function addUserMessage(text, timestamp) {
    const node = element('div', 'message from-user');
    const stack = element('div', 'bubble-stack');
    const meta = element('div', 'meta');
    meta.append(element('span', 'time', timeOf(timestamp)));
    stack.append(meta, element('div', 'bubble text', text));
    node.append(stack);
    chat.append(node);
    scrollDown();
    keepEntry({ kind: 'user', text, timestamp });
  }

  /**
   * A line from the playground itself (not the bot): errors, "the bot said …" banners. Only the
   * playground's own lines about the conversation are kept: errors and answers to dialogs and
   * buttons are passing notices (in Teams too).
   */
  function note(text, kind = 'info', kept = false) {
    const node = element('div', `note ${kind}`, text);
    node.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    chat.append(node);
    scrollDown();
    if (kept) keepEntry({ kind: 'note', text });
  }

  // ------------------------------------------------------------------ the kept chat
  //
  // A reload shows the chat again: what it shows is kept in sessionStorage (this tab only, gone
  // with it): the bot's messages as last shown (updates and card answers included), what the user
  // typed, the playground's lines about the conversation, and the last event seen, so that the
  // event stream goes on from there. Dialogs are never kept (a password is shown only there), and
  // a card is kept as the bot sent it, never with what was typed into it.

  const KEPT = 'playground.chat';
  const MAX_KEPT = 300;
  const KEPT_CONVERSATION = /^a:playground-[0-9a-f-]{36}$/;

  function keep() {
    if (!state.kept) return;
    try {
      sessionStorage.setItem(KEPT, JSON.stringify(state.kept));
    } catch {
      // Storage full or off: the chat is simply not kept.
    }
  }

  function keepEntry(entry) {
    if (!state.kept || state.restoring) return;
    state.kept.entries.push(entry);
    state.kept.entries.splice(0, state.kept.entries.length - MAX_KEPT);
    keep();
  }

  /** What a message needs to be shown again: its text and cards, not the protocol's fields. */
  function keptActivity(a) {
    const attachments = (a.attachments || []).map((x) => (x.contentType === CARD ? { contentType: CARD, content: x.content } : { contentType: String(x.contentType) }));
    return { type: 'message', id: a.id, timestamp: a.timestamp, ...(a.text ? { text: String(a.text) } : {}), attachments };
  }

  function keptBot(id) {
    return state.kept?.entries.find((entry) => entry.kind === 'bot' && entry.activity.id === id);
  }

  function keptUpdate(activity) {
    const entry = keptBot(activity.id);
    if (!entry || state.restoring) return;
    entry.activity = activity;
    entry.edited = true;
    keep();
  }

  function keptCardAnswer(activityId, index, card) {
    const attachment = keptBot(activityId)?.activity.attachments[index];
    if (!attachment) return;
    attachment.content = card;
    keep();
  }

  function keptDelete(id) {
    if (!state.kept) return;
    state.kept.entries = state.kept.entries.filter((entry) => !(entry.kind === 'bot' && entry.activity.id === id));
    keep();
  }

  /** The chat kept by this tab for this Teams tenant, if any. */
  function keptChat(tenantId) {
    try {
      const value = JSON.parse(sessionStorage.getItem(KEPT) || 'null');
      const usable = isObject(value) && value.tenantId === tenantId && KEPT_CONVERSATION.test(String(value.conversationId)) && Array.isArray(value.entries);
      return usable ? { ...value, lastSeq: Number(value.lastSeq) || 0 } : null;
    } catch {
      return null;
    }
  }

  function showKept(kept) {
    state.restoring = true;
    try {
      for (const entry of kept.entries) {
        if (entry.kind === 'bot') addBotMessage(entry.activity, entry.edited);
        else if (entry.kind === 'user') addUserMessage(String(entry.text), entry.timestamp);
        else if (entry.kind === 'note') note(String(entry.text));
      }
    } finally {
      state.restoring = false;
    }
  }

  async function whileBusy(holder, work) {
    holder.classList.add('busy');
    holder.setAttribute('aria-busy', 'true');
    try {
      await work();
    } catch (error) {
      note(error.message, 'error');
    } finally {
      holder.classList.remove('busy');
      holder.removeAttribute('aria-busy');
    }
  }

  // ------------------------------------------------------------------ card actions

  function isObject(value) {
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  }

  /** action.data holds the button's data merged with the card's inputs (the renderer does that). */
  function dataOf(action) {
    return isObject(action.data) ? action.data : {};
  }

  function onChatAction(action, holder, activityId, show) {
    const type = action.getJsonTypeName();
    const data = dataOf(action);
    if (type === 'Action.OpenUrl') {
      window.open(action.url, '_blank', 'noopener');
    } else if (type === 'Action.Execute') {
      void whileBusy(holder, async () => {
        const answer = await invoke('adaptiveCard/action', { action: { type, id: action.id, verb: action.verb, data }, trigger: 'manual' }, activityId);
        showExecuteAnswer(answer, show);
      });
    } else if (type === 'Action.Submit') {
      const msteams = isObject(data.msteams) ? data.msteams : {};
      if (msteams.type === 'task/fetch') {
        void whileBusy(holder, async () => showTaskAnswer(await invoke('task/fetch', { data, context: { theme: 'default' } }, activityId)));
      } else if (msteams.type === 'imBack' && typeof msteams.value === 'string') {
        void sendText(msteams.value);
      } else if (msteams.type === 'messageBack') {
        if (msteams.displayText) addUserMessage(String(msteams.displayText));
        void post({ type: 'message', text: msteams.text, value: msteams.value, replyToId: activityId }).catch((error) => note(error.message, 'error'));
      } else {
        void post({ type: 'message', value: data, replyToId: activityId }).catch((error) => note(error.message, 'error'));
      }
    }
  }

  /** The answer to an adaptiveCard/action invoke: a card replaces the clicked one, a message is shown. */
  function showExecuteAnswer(answer, show) {
    if (!answer) return;
    if (answer.type === CARD && isObject(answer.value)) show(answer.value);
    else if (answer.type === 'application/vnd.microsoft.activity.message') note(String(answer.value));
    else if (answer.statusCode >= 400) note(answer.value?.message || `${t('failed')} (${answer.statusCode})`, 'error');
  }

  // ------------------------------------------------------------------ dialogs (task modules)

  /** The answer to task/fetch or task/submit: "continue" shows a dialog, "message" a line, nothing closes it. */
  function showTaskAnswer(answer) {
    const task = answer?.task;
    if (task?.type === 'continue' && isObject(task.value)) {
      openDialog(task.value);
    } else {
      closeDialog();
      if (task?.type === 'message' && task.value) note(String(task.value));
    }
  }

  function openDialog(info) {
    $('dialog-title').textContent = info.title || '';
    const content = info.card?.contentType === CARD ? info.card.content : null;
    const holder = $('dialog-card');
    holder.replaceChildren(content ? renderCard(content, onDialogAction) : element('div', 'card-error', t('unreadable')));
    dialog.dataset.width = typeof info.width === 'string' ? info.width : 'medium';
    if (!dialog.open) dialog.showModal();
  }

  function closeDialog() {
    if (dialog.open) dialog.close();
    $('dialog-card').replaceChildren();
  }

  function onDialogAction(action) {
    const type = action.getJsonTypeName();
    if (type === 'Action.OpenUrl') {
      window.open(action.url, '_blank', 'noopener');
      return;
    }
    if (type !== 'Action.Submit' && type !== 'Action.Execute') return;
    void whileBusy($('dialog-card'), async () => showTaskAnswer(await invoke('task/submit', { data: dataOf(action), context: { theme: 'default' } })));
  }

  $('dialog-close').addEventListener('click', closeDialog);
  // Esc closes it too; the card inside is dropped either way (a password must not linger in the page).
  dialog.addEventListener('close', () => $('dialog-card').replaceChildren());

  // ------------------------------------------------------------------ the conversation

  function setStatus(key) {
    $('status').textContent = t(key);
  }

  /**
   * The conversation with the bot in the chosen Teams tenant: the one this tab kept (after a
   * reload), else a new one with a new id. Either way a new event stream, from the last event seen.
   */
  function startConversation(kept = null) {
    state.events?.close();
    closeDialog();
    chat.replaceChildren();
    state.messages.clear();
    state.kept = kept ?? { tenantId: state.tenantId, conversationId: `a:playground-${randomId()}`, lastSeq: 0, entries: [] };
    state.conversationId = state.kept.conversationId;
    if (kept) showKept(kept);
    else keep();
    input.disabled = true;
    $('send').disabled = true;
    setStatus('connecting');

    const events = new EventSource(`/playground/events?conversation=${encodeURIComponent(state.conversationId)}&after=${state.kept.lastSeq}`);
    state.events = events;
    const on = (name, handle) =>
      events.addEventListener(name, (event) => {
        handle(JSON.parse(event.data));
        state.kept.lastSeq = Number(event.lastEventId) || state.kept.lastSeq;
        keep();
      });
    on('activity', addBotMessage);
    on('update', updateBotMessage);
    on('delete', (a) => deleteBotMessage(a.id));
    events.addEventListener('error', () => setStatus('connecting'));
    // A kept conversation was greeted when it began.
    let greeted = kept !== null;
    events.addEventListener('ready', () => {
      setStatus('connected');
      input.disabled = false;
      $('send').disabled = false;
      input.focus();
      if (greeted) return;
      greeted = true;
      // As when Teams installs the app: the bot greets a user it has not met in this tenant.
      const key = `playground.greeted.${state.tenantId}.${userId}`;
      if (localStorage.getItem(key)) {
        note(t('welcomeBack'), 'info', true);
        return;
      }
      localStorage.setItem(key, '1');
      void post({ type: 'conversationUpdate', membersAdded: [{ id: BOT.id, name: BOT.name }] }).catch((error) => note(error.message, 'error'));
    });
  }

  function applyLocale() {
    document.documentElement.lang = state.locale.slice(0, 2);
    for (const button of document.querySelectorAll('[data-locale]')) {
      button.setAttribute('aria-pressed', String(button.dataset.locale === state.locale));
    }
    for (const node of document.querySelectorAll('[data-text]')) node.textContent = t(node.dataset.text);
    input.placeholder = t('placeholder');
    // Names a screen reader speaks (and the tests find controls by), in the chosen language.
    for (const node of document.querySelectorAll('[data-label]')) node.setAttribute('aria-label', t(node.dataset.label));
    setStatus(input.disabled ? 'connecting' : 'connected');
    window.playgroundOutbox?.setLocale(state.locale);
  }

  for (const button of document.querySelectorAll('[data-locale]')) {
    button.addEventListener('click', () => {
      state.locale = button.dataset.locale;
      localStorage.setItem('playground.locale', state.locale);
      applyLocale();
    });
  }

  $('composer').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    void sendText(text);
  });

  // Teams keeps one chat with the bot per tenant: another tenant is another conversation, and the page says so.
  $('tenant').addEventListener('change', (event) => {
    state.tenantId = event.target.value;
    localStorage.setItem('playground.tenant', state.tenantId);
    startConversation();
    note(t('otherTenant').replace('{tenant}', event.target.selectedOptions[0]?.textContent ?? ''), 'info', true);
  });

  async function main() {
    const response = await fetch('/playground/config.json', { cache: 'no-store' });
    state.config = await response.json();
    const select = $('tenant');
    for (const tenant of state.config.tenants) {
      const option = element('option', '', tenant.name);
      option.value = tenant.id;
      select.append(option);
    }
    const saved = localStorage.getItem('playground.tenant');
    state.tenantId = state.config.tenants.some((x) => x.id === saved) ? saved : state.config.tenants[0]?.id ?? '';
    select.value = state.tenantId;
    applyLocale();
    startConversation(keptChat(state.tenantId));
  }

  main().catch((error) => note(`The playground could not start: ${error.message}`, 'error'));
})();
