/* global document, window, fetch */
// Follows a background run ("Import now", "Fetch now") on its progress page: polls the
// run's small JSON status and, when the run ends, opens its result. Without JavaScript
// the page refreshes itself instead (<noscript> meta refresh).
'use strict';

(function () {
  const panel = document.querySelector('[data-testid="job"]');
  if (!panel) return;
  const id = panel.getAttribute('data-job-id');
  const bar = panel.querySelector('[data-testid="job-progress"]');
  const amount = panel.querySelector('.js-job-amount');
  const note = panel.querySelector('.js-job-note');
  const elapsed = panel.querySelector('.js-job-elapsed');
  const POLL_MS = 700;

  function show(s) {
    if (typeof s.percent === 'number') bar.value = s.percent;
    else bar.removeAttribute('value');
    amount.textContent = s.amount || '';
    note.textContent = s.note || '';
    elapsed.textContent = s.elapsed;
  }

  function poll() {
    fetch('/site/jobs/' + encodeURIComponent(id) + '/status', {
      headers: { accept: 'application/json' },
      credentials: 'same-origin',
    })
      .then(function (res) {
        if (!res.ok) throw new Error('status ' + res.status);
        return res.json();
      })
      .then(function (s) {
        show(s);
        if (s.state === 'done' && s.resultUrl) window.location.replace(s.resultUrl);
        // The server renders a failed run's page, with its reason.
        else if (s.state === 'failed') window.location.reload();
        else window.setTimeout(poll, POLL_MS);
      })
      .catch(function () {
        // A lost answer: try again a little later rather than give up on the run.
        window.setTimeout(poll, POLL_MS * 4);
      });
  }
  window.setTimeout(poll, POLL_MS);
})();
