// The outbox: the mails the local mail catcher caught, newest first, refreshed every 2 seconds.
// Used beside the chat and, at /playground/outbox, alone (the same index.html, without the chat).
// Its labels and dates follow the page's language: the chat's NL/EN switch calls
// window.playgroundOutbox.setLocale; the outbox page alone takes the language the chat last chose.
'use strict';

(() => {
  const TEXTS = {
    'en-US': {
      outbox: 'Outbox',
      outboxHint: 'Mails the local mail catcher caught. Nothing is delivered.',
      noMail: 'No mail yet.',
      to: 'To',
      from: 'From',
      subject: 'Subject',
      noSubject: '(no subject)',
      mailTo: 'Mail to {to}: {subject}',
    },
    'nl-NL': {
      outbox: 'Postvak uit',
      outboxHint: 'Mails die de lokale mailcatcher ving. Er wordt niets verstuurd.',
      noMail: 'Nog geen mail.',
      to: 'Aan',
      from: 'Van',
      subject: 'Onderwerp',
      noSubject: '(geen onderwerp)',
      mailTo: 'Mail aan {to}: {subject}',
    },
  };

  const list = document.getElementById('outbox');
  const count = document.getElementById('outbox-count');
  /** mail id → its list item; a mail is rendered once (its <details> state stays) unless the language changes. */
  const shown = new Map();
  let mails = [];
  // The newest mail is shown open; it closes when a newer one arrives.
  let autoOpened = null;
  let locale = TEXTS[localStorage.getItem('playground.locale')] ? localStorage.getItem('playground.locale') : navigator.language.toLowerCase().startsWith('nl') ? 'nl-NL' : 'en-US';
  const t = (key) => TEXTS[locale][key];

  function formatTime(iso) {
    return new Date(iso).toLocaleString(locale, {
      day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
    });
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  // Loaded first on both pages: the chat (playground.js) makes its nodes with the same helper.
  window.playgroundElement = element;

  /** "Aan: …": a label the eye skips, then the value. */
  function labelled(tag, className, label, value) {
    const node = element(tag, className);
    node.append(element('span', 'mail-label', `${label}: `), document.createTextNode(value));
    return node;
  }

  function mailItem(mail) {
    const item = element('li', 'mail');
    item.dataset.mailId = String(mail.id);
    const to = mail.to.join(', ');
    item.setAttribute('aria-label', t('mailTo').replace('{to}', to).replace('{subject}', mail.subject));
    const head = element('div', 'mail-head');
    const time = element('time', 'mail-time', formatTime(mail.receivedAt));
    time.setAttribute('datetime', mail.receivedAt);
    head.append(labelled('span', 'mail-to', t('to'), to), time);
    const details = element('details', 'mail-details');
    const summary = element('summary', 'mail-subject');
    summary.append(element('span', 'mail-label', `${t('subject')}: `), document.createTextNode(mail.subject || t('noSubject')));
    details.append(summary, labelled('div', 'mail-from', t('from'), mail.from), element('pre', 'mail-text', mail.text));
    item.append(head, details);
    return item;
  }

  function showEmpty() {
    list.querySelector('.empty')?.remove();
    if (!mails.length) list.append(element('li', 'empty', t('noMail')));
  }

  /** New mails on top; older ones are left as they are. */
  function addNew() {
    let newest = null;
    for (const mail of [...mails].reverse()) {
      if (shown.has(mail.id)) continue;
      newest = mailItem(mail);
      list.prepend(newest);
      shown.set(mail.id, newest);
    }
    if (newest) {
      if (autoOpened) autoOpened.open = false;
      autoOpened = newest.querySelector('details');
      autoOpened.open = true;
    }
    count.textContent = mails.length ? String(mails.length) : '';
    showEmpty();
  }

  async function refresh() {
    try {
      const response = await fetch('/playground/outbox.json', { cache: 'no-store' });
      if (!response.ok) return;
      mails = (await response.json()).mails;
      addNew();
    } catch {
      // The bot stopped: try again later.
    }
  }

  /** Labels, dates and the pane's texts in this language; the mails are rendered again, open ones stay open. */
  function setLocale(next) {
    if (!TEXTS[next] || next === locale) return;
    locale = next;
    for (const node of document.querySelectorAll('[data-outbox-text]')) node.textContent = t(node.dataset.outboxText);
    for (const [id, old] of shown) {
      const mail = mails.find((m) => m.id === id);
      if (!mail) continue;
      const fresh = mailItem(mail);
      const wasOpen = old.querySelector('details').open;
      fresh.querySelector('details').open = wasOpen;
      if (autoOpened && autoOpened === old.querySelector('details')) autoOpened = fresh.querySelector('details');
      old.replaceWith(fresh);
      shown.set(id, fresh);
    }
    showEmpty();
  }
  window.playgroundOutbox = { setLocale };

  // The outbox page alone: the chat (playground.js), which sets the page's language, does not start.
  if (/\/outbox\/?$/.test(window.location.pathname)) document.documentElement.lang = locale.slice(0, 2);
  for (const node of document.querySelectorAll('[data-outbox-text]')) node.textContent = t(node.dataset.outboxText);
  void refresh();
  setInterval(refresh, 2000);
})();
