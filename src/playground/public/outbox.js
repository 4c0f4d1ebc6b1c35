// The outbox: the mails the local mail catcher caught, newest first, refreshed every 2 seconds.
// Used beside the chat and, at /playground/outbox, alone (the same index.html, without the chat).
'use strict';

(() => {
  const list = document.getElementById('outbox');
  const count = document.getElementById('outbox-count');
  const shown = new Set();
  // The newest mail is shown open; it closes when a newer one arrives.
  let autoOpened = null;

  function formatTime(iso) {
    const at = new Date(iso);
    return at.toLocaleString(document.documentElement.lang || undefined, {
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

  function mailItem(mail) {
    const item = element('li', 'mail');
    item.dataset.mailId = String(mail.id);
    item.setAttribute('aria-label', `Mail to ${mail.to.join(', ')}: ${mail.subject}`);
    const head = element('div', 'mail-head');
    head.append(element('span', 'mail-to', mail.to.join(', ')), element('time', 'mail-time', formatTime(mail.receivedAt)));
    head.lastChild.setAttribute('datetime', mail.receivedAt);
    const details = element('details', 'mail-details');
    const summary = element('summary', 'mail-subject', mail.subject || '(no subject)');
    details.append(summary, element('div', 'mail-from', `From: ${mail.from}`), element('pre', 'mail-text', mail.text));
    item.append(head, details);
    return item;
  }

  async function refresh() {
    try {
      const response = await fetch('/playground/outbox.json', { cache: 'no-store' });
      if (!response.ok) return;
      const { mails } = await response.json();
      // Newest first: new mails go on top; older ones are never re-rendered (their <details> state stays).
      let newest = null;
      for (const mail of [...mails].reverse()) {
        if (shown.has(mail.id)) continue;
        newest = mailItem(mail);
        list.prepend(newest);
        shown.add(mail.id);
      }
      if (newest) {
        if (autoOpened) autoOpened.open = false;
        autoOpened = newest.querySelector('details');
        autoOpened.open = true;
      }
      count.textContent = mails.length ? String(mails.length) : '';
      if (!mails.length && !list.querySelector('.empty')) {
        const empty = element('li', 'empty', document.documentElement.lang === 'nl' ? 'Nog geen mail.' : 'No mail yet.');
        empty.dataset.text = 'noMail';
        list.append(empty);
      }
      if (mails.length) list.querySelector('.empty')?.remove();
    } catch {
      // The bot stopped: try again later.
    }
  }

  void refresh();
  setInterval(refresh, 2000);
})();
