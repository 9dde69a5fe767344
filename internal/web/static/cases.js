// The cases list: every case from the JSON API, newest first, with the
// status filter; the form below opens a new case and goes to it. The
// API's field errors go under their fields.

import { api, lang } from '/static/app.js';

const texts = JSON.parse(document.getElementById('case-i18n')?.textContent || '{}');
const t = (key) => texts[key] ?? key;
const body = document.querySelector('#case-table tbody');
const none = document.getElementById('case-none');
const errorEl = document.getElementById('case-error');
const form = document.getElementById('case-new');
const status = new URLSearchParams(location.search).get('status') || '';

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

// row draws one case; every text goes in as text, never as HTML.
function row(c) {
  const tr = el('tr');
  tr.dataset.case = c.id;
  tr.dataset.status = c.status;
  const num = el('td', 'number');
  const a = el('a', '', c.number);
  a.href = '/cases/' + c.id;
  num.append(a);
  tr.append(num, el('td', 'title', c.title), el('td', 'status', t('case.s.' + c.status)),
    el('td', 'opened', `${c.opened_by} · ${c.opened_at_local}`), el('td', 'items', String(c.item_count)));
  return tr;
}

async function load() {
  const q = status === 'open' || status === 'closed' ? '?status=' + status : '';
  try {
    const list = await api('GET', '/api/cases' + q);
    body.replaceChildren(...list.map(row));
    none.hidden = list.length > 0;
  } catch (x) {
    body.replaceChildren();
    errorEl.textContent = x.message;
    errorEl.hidden = false;
  }
}

// showErrors puts the API's field errors under their fields.
function showErrors(f, x, fix) {
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
  box.textContent = (x.fields?.length ? fix : x.message) + (rest.length ? ': ' + rest.join('; ') : '');
  box.hidden = false;
}

function clearErrors(f) {
  for (const p of f.querySelectorAll('[data-error], [data-form-error]')) { p.hidden = true; p.textContent = ''; }
  for (const i of f.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
}

form?.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  clearErrors(form);
  const btn = form.querySelector('button[type=submit]');
  btn.disabled = true;
  const f = form.elements;
  try {
    const c = await api('POST', '/api/cases', { number: f.number.value.trim(), title: f.title.value.trim(), description: f.description.value.trim() });
    location.href = '/cases/' + c.id;
  } catch (x) {
    showErrors(form, x, t('case.fix'));
    btn.disabled = false;
  }
});

load();
