// The police's approval queue: approve a contributed camera, or reject it
// with a note the owner reads in their portal.

import { api, lang } from '/static/app.js';

const msg = (e) => (lang === 'vi' ? e.message_vi || e.message : e.message);

document.getElementById('appr-waiting')?.addEventListener('click', async (ev) => {
  const btn = ev.target.closest('button[data-decide]');
  const row = ev.target.closest('tr[data-camera]');
  if (!btn || !row) return;
  const box = row.querySelector('[data-form-error]');
  const noteErr = row.querySelector('[data-error="note"]');
  const note = row.querySelector('textarea[name=note]');
  box.hidden = true;
  noteErr.hidden = true;
  note.removeAttribute('aria-invalid');
  for (const b of row.querySelectorAll('button')) b.disabled = true;
  try {
    await api('POST', `/api/cameras/${encodeURIComponent(row.dataset.camera)}/approval`,
      { approval: btn.dataset.decide, note: note.value });
    location.reload();
  } catch (e) {
    const rest = [];
    for (const f of e.fields || []) {
      if (f.field === 'note') {
        noteErr.textContent = msg(f);
        noteErr.hidden = false;
        note.setAttribute('aria-invalid', 'true');
      } else rest.push(msg(f));
    }
    box.textContent = e.message + (rest.length ? ': ' + rest.join('; ') : '');
    box.hidden = false;
    for (const b of row.querySelectorAll('button')) b.disabled = false;
  }
});
