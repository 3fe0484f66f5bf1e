/**
 * The served page's second script (inlined; the page's CSP allows exactly this text by its hash): live
 * reload over server-sent events — a new panel replaces the old one in place, new cards reload the page
 * (filters stay: they live in the URL's `#…`) — and the buttons that talk back to the dev server (Pick,
 * Run it / Skip), which POST JSON to the same origin. Plain ES2020.
 */
export const DEV_EVENTS_PATH = '/__assetgen/events';
export const DEV_PICK_PATH = '/__assetgen/pick';
export const DEV_CONFIRM_PATH = '/__assetgen/confirm';

export const DEV_SCRIPT = `
(function () {
  'use strict';
  var pageVersion = Number(document.documentElement.getAttribute('data-dev-version'));
  function post(path, body) {
    return fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (response) { return response.json(); });
  }
  function showPanel(html) {
    var old = document.getElementById('dev-panel');
    if (!old) return;
    var template = document.createElement('template');
    template.innerHTML = html;
    old.replaceWith(template.content);
  }
  var events = new EventSource('${DEV_EVENTS_PATH}');
  events.addEventListener('state', function (event) {
    var state = JSON.parse(event.data);
    if (state.pageVersion !== pageVersion) { events.close(); location.reload(); return; }
    showPanel(state.panel);
  });
  function cardError(card, message) {
    var note = card.querySelector('[data-pick-error]');
    if (!note) { note = document.createElement('p'); note.className = 'error'; note.setAttribute('data-pick-error', ''); card.appendChild(note); }
    note.textContent = message;
  }
  document.addEventListener('click', function (event) {
    var pick = event.target.closest('[data-pick]');
    if (pick) {
      var card = pick.closest('[data-card]');
      pick.disabled = true;
      pick.textContent = 'Picking…';
      post('${DEV_PICK_PATH}', { recipe: card.getAttribute('data-recipe'), asset: card.getAttribute('data-asset'), variant: card.getAttribute('data-variant') })
        .then(function (answer) {
          if (answer.ok) { pick.textContent = 'Picked'; return; }
          pick.disabled = false; pick.textContent = 'Pick'; cardError(card, answer.error);
        }, function (error) { pick.disabled = false; pick.textContent = 'Pick'; cardError(card, String(error)); });
      return;
    }
    var confirm = event.target.closest('[data-confirm]');
    if (confirm) {
      Array.prototype.forEach.call(document.querySelectorAll('[data-confirm]'), function (button) { button.disabled = true; });
      post('${DEV_CONFIRM_PATH}', { id: Number(confirm.getAttribute('data-confirm')), run: confirm.value === 'run' });
    }
  });
})();
`;
