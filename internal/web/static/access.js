// Asking the owner of an on-request camera for footage (playback page):
// the request form and the officer's own requests for that camera, with
// the owner's answers. The API checks roles and audits every step.

import { api, lang } from '/static/app.js';

const texts = JSON.parse(document.getElementById('pb-i18n')?.textContent || '{}');
const tr = (key) => texts[key] ?? key;
const msg = (e) => (lang === 'vi' ? e.message_vi || e.message : e.message);

function statusText(r) {
  if (r.status === 'granted' && !r.active) return tr('playback.req.expired');
  return tr('playback.req.' + r.status);
}

for (const panel of document.querySelectorAll('[data-request-camera]')) {
  const camera = panel.dataset.requestCamera;
  const form = panel.querySelector('form');
  const body = panel.querySelector('tbody');
  const box = form.querySelector('[data-req-error]');

  async function load() {
    const list = await api('GET', `/api/access-requests?mine=true&camera=${encodeURIComponent(camera)}`);
    panel.dataset.requests = String(list.length);
    if (!list.length) {
      const td = document.createElement('td');
      td.colSpan = 5;
      td.className = 'muted';
      td.textContent = tr('playback.req.none');
      body.replaceChildren(document.createElement('tr'));
      body.firstChild.append(td);
      return;
    }
    body.replaceChildren(...list.map((r) => {
      const row = document.createElement('tr');
      row.dataset.request = r.id;
      row.dataset.status = r.status;
      let answer = r.note || '';
      if (r.active) answer = [answer, `${tr('playback.req.until')} ${r.until_local}`, tr('playback.req.reload')].filter(Boolean).join(' · ');
      for (const text of [r.created_at_local, `${r.from_local} – ${r.to_local}`, r.reason, statusText(r), answer]) {
        const td = document.createElement('td');
        td.textContent = text;
        row.append(td);
      }
      return row;
    }));
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    box.hidden = true;
    form.querySelector('[data-req-sent]').hidden = true;
    for (const p of form.querySelectorAll('[data-error]')) { p.hidden = true; p.textContent = ''; }
    const v = (name) => form.elements.namedItem(name).value.trim();
    try {
      await api('POST', `/api/cameras/${encodeURIComponent(camera)}/access-requests`, { from: v('from'), to: v('to'), reason: v('reason') });
      form.reset();
      form.querySelector('[data-req-sent]').hidden = false;
      await load();
    } catch (e) {
      for (const f of e.fields || []) {
        const p = form.querySelector(`[data-error="${CSS.escape(f.field)}"]`);
        if (p) { p.textContent = msg(f); p.hidden = false; }
      }
      box.textContent = e.message;
      box.hidden = false;
    }
  });
  load().catch((e) => { box.textContent = e.message; box.hidden = false; });
}
