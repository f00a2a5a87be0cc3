/* global document, window, XMLHttpRequest, FormData */
// Image upload with a progress bar (progressive enhancement of the multipart form).
// The CSRF token travels in the x-csrf-token header, read from <meta name="csrf-token">:
// the server checks it before it reads any byte of the body.
'use strict';

function setup(form) {
  const status = form.querySelector('[data-testid="upload-status"]');
  const bar = form.querySelector('[data-testid="upload-progress"]');
  const percent = form.querySelector('[data-testid="upload-percent"]');
  const hash = form.querySelector('[data-testid="upload-sha256"]');
  const link = form.querySelector('[data-testid="upload-result-link"]');
  const error = form.querySelector('[data-testid="upload-error"]');
  const button = form.querySelector('button[type="submit"]');
  const meta = document.querySelector('meta[name="csrf-token"]');

  function show(p) {
    bar.value = p;
    percent.textContent = p + '%';
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    const data = new FormData(form);
    data.delete('_csrf'); // the header carries it; the server refuses unknown form fields
    // Empty optional fields are left out rather than sent as empty strings.
    for (const [name, value] of Array.from(data.entries())) {
      if (typeof value === 'string' && value.trim() === '') data.delete(name);
    }
    // The file part last, so the metadata fields arrive before the bytes.
    const file = data.get('file');
    data.delete('file');
    if (file) data.append('file', file);

    error.hidden = true;
    status.hidden = false;
    hash.textContent = '';
    link.hidden = true;
    button.disabled = true;
    show(0);

    const xhr = new XMLHttpRequest();
    xhr.open('POST', form.action);
    xhr.setRequestHeader('x-csrf-token', meta ? meta.content : '');
    xhr.setRequestHeader('x-requested-with', 'XMLHttpRequest');
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.addEventListener('progress', function (e) {
      if (e.lengthComputable) show(Math.floor((e.loaded / e.total) * 100));
    });
    xhr.upload.addEventListener('load', function () {
      show(100);
    });
    xhr.addEventListener('load', function () {
      button.disabled = false;
      let body = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = {};
      }
      if (xhr.status === 201) {
        show(100);
        hash.textContent = body.sha256 || '';
        link.href = body.href || '';
        link.hidden = !body.href;
        form.dispatchEvent(new window.CustomEvent('vmic:uploaded', { detail: body }));
      } else {
        error.textContent =
          'Upload refused (' + xhr.status + '): ' + (body.detail || xhr.statusText);
        error.hidden = false;
      }
    });
    xhr.addEventListener('error', function () {
      button.disabled = false;
      error.textContent = 'Upload failed: the connection was interrupted.';
      error.hidden = false;
    });
    xhr.send(data);
  });
}

document.querySelectorAll('form.js-upload').forEach(setup);
