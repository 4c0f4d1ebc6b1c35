// The Password Change Portal's page behaviour (served as a file: the CSP allows no inline script).
// Checks the form before it is sent (the server checks everything again), shows the strength of
// the new password, and takes a link's token out of the address bar.
'use strict';

(function () {
  if (window.location.search.indexOf('token=') >= 0 && window.history && window.history.replaceState) {
    // The token stays in the form; the address bar (and history, bookmarks) loses it.
    var params = new URLSearchParams(window.location.search);
    params.delete('token');
    var rest = params.toString();
    window.history.replaceState(null, '', window.location.pathname + (rest ? '?' + rest : ''));
  }

  var status = document.getElementById('status');
  if (status && status.textContent.trim() !== '') status.focus();

  var form = document.getElementById('portal-form');
  if (!form) return;
  var data = form.dataset;
  var minLength = Number(data.minLength) || 1;
  var complexity = data.complexity === 'true';
  var levels = (data.levels || '').split('|');
  var next = document.getElementById('next');
  var confirm = document.getElementById('confirm');
  var meter = document.getElementById('strength');
  var meterText = document.getElementById('strength-text');
  var show = document.getElementById('show');

  function classes(value) {
    var n = 0;
    if (/[a-z]/.test(value)) n++;
    if (/[A-Z]/.test(value)) n++;
    if (/[0-9]/.test(value)) n++;
    if (/[^A-Za-z0-9]/.test(value)) n++;
    return n;
  }

  // A rough score from 0 to 4: length and variety, less for repeats and sequences.
  function score(value) {
    if (value.length === 0) return 0;
    var s = 0;
    if (value.length >= minLength) s++;
    if (value.length >= Math.max(minLength, 12)) s++;
    if (value.length >= 16) s++;
    if (classes(value) >= 3) s++;
    if (/(.)\1\1/.test(value) || /(0123|1234|2345|3456|4567|5678|6789|abcd|qwer|asdf)/i.test(value)) s--;
    return Math.max(0, Math.min(4, s));
  }

  function update() {
    var s = score(next.value);
    meter.value = s;
    meterText.textContent = next.value ? levels[s] || '' : '';
  }

  function problem() {
    var fields = form.querySelectorAll('input[required]');
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].value === '') return { text: data.msgRequired, field: fields[i] };
    }
    if (next.value.length < minLength) return { text: data.msgShort, field: next };
    if (complexity && classes(next.value) < 3) return { text: data.msgComplex, field: next };
    if (next.value !== confirm.value) return { text: data.msgMismatch, field: confirm };
    return null;
  }

  next.addEventListener('input', update);
  if (show) {
    show.addEventListener('change', function () {
      var type = show.checked ? 'text' : 'password';
      var secrets = form.querySelectorAll('input[autocomplete$="password"]');
      for (var i = 0; i < secrets.length; i++) secrets[i].type = type;
    });
  }
  form.addEventListener('submit', function (event) {
    var found = problem();
    var invalid = form.querySelectorAll('[aria-invalid]');
    for (var i = 0; i < invalid.length; i++) invalid[i].removeAttribute('aria-invalid');
    if (!found) return;
    event.preventDefault();
    status.className = 'status error';
    status.textContent = found.text;
    found.field.setAttribute('aria-invalid', 'true');
    found.field.focus();
  });
  update();
})();
