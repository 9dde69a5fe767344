// One case: its details and items grouped by kind (removed ones struck
// through, with who and why), forms to add notes, descriptions and
// footage, evidence export, close and reopen, and the chain-of-custody
// log in order. Everything comes from and goes to the JSON API.

import { api, lang, fmtLocal, parseLocal } from '/static/app.js';

const texts = JSON.parse(document.getElementById('case-i18n')?.textContent || '{}');
const t = (key) => texts[key] ?? key;
const names = JSON.parse(document.getElementById('case-cameras')?.textContent || '{}') || {};
const root = document.getElementById('case');
const id = root.dataset.case;
const itemsEl = document.getElementById('case-items');
const errorEl = document.getElementById('case-error');
const logBody = document.querySelector('#case-log tbody');
const KINDS = ['event', 'footage', 'note', 'person', 'vehicle', 'export'];

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function playbackLink(camera, at) {
  const a = el('a', 'watch', t('case.watch'));
  a.href = '/playback?camera=' + encodeURIComponent(camera) + '&at=' + encodeURIComponent(new Date(at).toISOString());
  return a;
}

function showErrors(f, x) {
  const rest = [];
  for (const fe of x.fields || []) {
    const msg = lang === 'vi' ? (fe.message_vi || fe.message) : fe.message;
    const p = f.querySelector(`[data-error="${CSS.escape(fe.field)}"]`);
    if (!p) { rest.push(msg); continue; }
    p.textContent = msg;
    p.hidden = false;
    f.elements[fe.field]?.setAttribute('aria-invalid', 'true');
  }
  const box = f.querySelector('[data-form-error]');
  box.textContent = (x.fields?.length ? t('case.fix') : x.message) + (rest.length ? ': ' + rest.join('; ') : '');
  box.hidden = false;
}

function clearErrors(f) {
  for (const p of f.querySelectorAll('[data-error], [data-form-error]')) { p.hidden = true; p.textContent = ''; }
  for (const i of f.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
}

// item draws one item; every text goes in as text, never as HTML.
function item(it, open) {
  const li = el('li', 'case-item' + (it.removed_at ? ' removed' : ''));
  li.dataset.item = it.id;
  li.dataset.kind = it.kind;
  const main = el('div', 'what');
  if (it.kind === 'event') {
    const img = el('img', 'thumb');
    img.src = '/api/events/' + encodeURIComponent(it.event_id) + '/snapshot.jpg';
    img.alt = t('case.snapshot');
    img.loading = 'lazy';
    img.onerror = () => { img.hidden = true; };
    li.append(img);
    main.append(el('span', 'text', it.text || it.event_id), el('br'),
      el('small', 'muted', `${names[it.camera_id] || it.camera_id} · ${fmtLocal(it.from)} – ${fmtLocal(it.to)} · `));
    main.append(playbackLink(it.camera_id, new Date(it.from).getTime() + 120e3));
  } else if (it.kind === 'footage') {
    main.append(el('span', 'range', `${names[it.camera_id] || it.camera_id}: ${fmtLocal(it.from)} – ${fmtLocal(it.to)}`), ' · ',
      playbackLink(it.camera_id, it.from));
  } else if (it.kind === 'export') {
    const a = el('a', 'package', it.export_id);
    a.href = '/api/exports/' + encodeURIComponent(it.export_id) + '.zip';
    main.append(a, ' · ', el('span', 'text', it.text || ''));
  } else {
    main.append(el('span', 'text', it.text));
  }
  main.append(el('br'), el('small', 'muted added', `${t('case.added')} ${it.added_by} · ${fmtLocal(it.added_at)}`));
  if (it.removed_at) {
    main.append(el('br'), el('small', 'removal', `${t('case.removed')} ${it.removed_by} · ${fmtLocal(it.removed_at)} · ${t('case.reason')}: ${it.remove_reason}`));
  }
  li.append(main);
  if (open && !it.removed_at && it.kind !== 'export') {
    // Removing asks why: the first click shows the reason field, the
    // second sends it (the API requires a reason).
    const why = el('input', 'remove-reason');
    why.type = 'text';
    why.maxLength = 500;
    why.placeholder = t('case.remove_ask');
    why.setAttribute('aria-label', t('case.remove_ask'));
    why.hidden = true;
    const btn = el('button', 'link remove', t('case.remove'));
    btn.type = 'button';
    const err = el('p', 'error-text');
    err.hidden = true;
    btn.onclick = async () => {
      if (why.hidden) { why.hidden = false; why.focus(); return; }
      btn.disabled = true;
      err.hidden = true;
      try {
        await api('DELETE', `/api/cases/${id}/items/${it.id}`, { reason: why.value.trim() });
        await load();
      } catch (x) {
        err.textContent = x.fields?.length ? (lang === 'vi' ? (x.fields[0].message_vi || x.fields[0].message) : x.fields[0].message) : x.message;
        err.hidden = false;
        btn.disabled = false;
      }
    };
    li.append(why);
    li.append(btn, err);
  }
  return li;
}

function draw(c) {
  const open = c.status === 'open';
  root.dataset.status = c.status;
  root.querySelector('.case-number').textContent = c.number;
  root.querySelector('.case-title').textContent = c.title;
  root.querySelector('.case-status').textContent = t('case.s.' + c.status);
  root.querySelector('.case-description').textContent = c.description || '';
  let meta = `${t('case.opened')}: ${c.opened_by} · ${c.opened_at_local}`;
  if (c.closed_at_local) meta += ` — ${t('case.closed_at')}: ${c.closed_by} · ${c.closed_at_local}`;
  root.querySelector('.case-meta').textContent = meta;
  root.querySelector('.case-locks').textContent = open ? t('case.locks_open') : `${t('case.locks_until')} ${c.locks_until_local || ''}`;
  document.title = `${c.number} · ${document.title.split(' · ').pop()}`;

  const groups = [];
  for (const k of KINDS) {
    const list = c.items.filter((it) => it.kind === k);
    if (k === 'export' && list.length === 0) continue;
    const g = el('div', 'case-group');
    g.dataset.kind = k;
    g.append(el('h2', '', t('case.k.' + k)));
    if (list.length === 0) g.append(el('p', 'muted', t('case.empty_kind')));
    else { const ul = el('ul', 'case-list'); ul.append(...list.map((it) => item(it, open))); g.append(ul); }
    groups.push(g);
  }
  itemsEl.replaceChildren(...groups);
  document.getElementById('case-open-forms').hidden = !open;
  document.querySelector('#case-state .case-close').hidden = !open;
  document.querySelector('#case-state .case-reopen').hidden = open;

  logBody.replaceChildren(...c.log.map((l) => {
    const tr = el('tr');
    tr.dataset.action = l.action;
    tr.append(el('td', 'time', fmtLocal(l.at)), el('td', 'user', l.user), el('td', 'action', t('case.a.' + l.action)), el('td', 'detail', l.detail));
    return tr;
  }));
}

async function load() {
  try {
    draw(await api('GET', '/api/cases/' + id));
    errorEl.hidden = true;
  } catch (x) {
    errorEl.textContent = x.message;
    errorEl.hidden = false;
  }
}

// submit runs a form's request and reloads the case; field errors go under
// their fields.
function submit(form, send) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const btn = ev.submitter || form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      await send(form.elements, btn);
      await load();
    } catch (x) {
      showErrors(form, x);
    } finally {
      btn.disabled = false;
    }
  });
}

const textForm = document.getElementById('case-add-text');
submit(textForm, async (f) => {
  await api('POST', `/api/cases/${id}/items`, { kind: f.kind.value, text: f.text.value.trim() });
  f.text.value = '';
});

// Footage times are typed in Vietnam time; the browser's own zone does not
// matter.
const footForm = document.getElementById('case-add-footage');
submit(footForm, async (f) => {
  const bad = [];
  const from = parseLocal(f.from.value), to = parseLocal(f.to.value);
  if (!from) bad.push({ field: 'from', message: t('case.bad_time'), message_vi: t('case.bad_time') });
  if (!to) bad.push({ field: 'to', message: t('case.bad_time'), message_vi: t('case.bad_time') });
  if (bad.length) { const x = new Error(t('case.fix')); x.fields = bad; throw x; }
  await api('POST', `/api/cases/${id}/items`, { kind: 'footage', camera_id: f.camera_id.value, from: from.toISOString(), to: to.toISOString() });
  f.from.value = f.to.value = '';
});

const exportForm = document.getElementById('case-export');
submit(exportForm, async (f) => {
  const done = exportForm.querySelector('.case-export-done');
  done.hidden = true;
  const res = await api('POST', `/api/cases/${id}/exports`, { reason: f.reason.value.trim() });
  done.querySelector('a.download').href = res.download;
  done.querySelector('a.download').textContent = `${t('case.download')} (${res.id})`;
  done.hidden = false;
  f.reason.value = '';
});

const stateForm = document.getElementById('case-state');
submit(stateForm, async (f, btn) => {
  const action = btn.classList.contains('case-close') ? 'close' : 'reopen';
  await api('POST', `/api/cases/${id}/${action}`, { reason: f.reason.value.trim() });
  f.reason.value = '';
});

load();
