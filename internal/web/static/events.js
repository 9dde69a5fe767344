// The review queue: events newest first from the JSON API, with their
// snapshot and footage; officers confirm them or mark false alarms. New
// events and others' reviews arrive live through app.js's /events stream.

import { api, t as appT } from './app.js';

const texts = JSON.parse(document.getElementById('review-i18n')?.textContent || '{}');
const t = (key) => texts[key] ?? appT(key);
const lang = document.body.dataset.lang || 'vi';
const names = JSON.parse(document.getElementById('review-cameras')?.textContent || '{}');
const list = document.getElementById('review-list');
const errorEl = document.getElementById('review-error');
const limitEl = document.getElementById('review-limit');
const big = document.getElementById('review-big');
const LIMIT = 200;

const params = new URLSearchParams(location.search);
const filter = { camera: params.get('camera') || '', type: params.get('type') || '', review: params.get('review') || '', date: params.get('date') || '' };

// dayRange is the local day (Asia/Ho_Chi_Minh, UTC+7) of a yyyy-mm-dd date.
function dayRange(date) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return null;
  const from = Date.UTC(+m[1], +m[2] - 1, +m[3]) - 7 * 3600e3;
  return { from: new Date(from), to: new Date(from + 24 * 3600e3) };
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function enlarge(url) {
  big.querySelector('img').src = url;
  big.showModal();
}

// row draws one event; every text goes in as text, never as HTML.
function row(e) {
  const r = el('article', 'review-row sev-' + e.severity);
  r.dataset.event = e.id;
  r.dataset.review = e.review;
  if (e.snapshot_url) {
    const img = el('img', 'thumb');
    img.src = e.snapshot_url;
    img.alt = t('review.snapshot');
    img.title = t('review.enlarge');
    img.loading = 'lazy';
    img.onclick = () => enlarge(e.snapshot_url);
    r.append(img);
  } else {
    r.append(el('div', 'thumb'));
  }

  const body = el('div', 'body');
  const head = el('h3');
  head.append(el('span', 'type', t('alert.type.' + e.type)), ' · ', el('span', 'sev', t('review.sev.' + e.severity)));
  body.append(head, el('p', 'summary', lang === 'vi' ? (e.summary_vi || e.summary) : e.summary));
  const meta = el('p', 'meta muted');
  meta.append(el('span', 'camera', names[e.camera_id] || e.camera_id), ' · ',
    el('span', 'zone', e.zone || t('review.whole')), ' · ',
    el('span', 'time', `${e.start_local} – ${e.end_local}`));
  body.append(meta);
  const links = el('p', 'links');
  const watch = el('a', 'footage', t('review.footage'));
  watch.href = '/playback?camera=' + encodeURIComponent(e.camera_id) + '&at=' + encodeURIComponent(e.start);
  links.append(watch);
  if (e.footage?.clip_url) {
    const clip = el('a', 'clip', t('review.clip'));
    clip.href = e.footage.clip_url;
    clip.download = `${e.camera_id}-${e.id}.mp4`;
    links.append(' · ', clip);
  }
  body.append(links);
  r.append(body);

  const acts = el('div', 'acts');
  const err = el('p', 'error-text');
  err.hidden = true;
  const send = async (verdict, note, buttons) => {
    buttons.forEach((b) => { b.disabled = true; });
    err.hidden = true;
    try {
      const updated = await api('POST', `/api/events/${encodeURIComponent(e.id)}/review`, { review: verdict, note });
      r.replaceWith(row(updated));
    } catch (x) {
      err.textContent = x.message;
      err.hidden = false;
      buttons.forEach((b) => { b.disabled = false; });
    }
  };
  if (e.review !== 'none') {
    acts.append(el('p', 'verdict ' + e.review, t('review.r.' + e.review)));
    acts.append(el('p', 'reviewer muted', `${t('review.reviewed_by')} ${e.reviewed_by || '—'} ${t('review.at')} ${e.reviewed_at_local || '—'}`));
    if (e.review_note) acts.append(el('p', 'note', e.review_note));
    const clear = el('button', 'link', t('review.clear'));
    clear.type = 'button';
    clear.onclick = () => send('none', '', [clear]);
    acts.append(clear);
  } else {
    const note = el('input', 'note');
    note.type = 'text';
    note.maxLength = 500;
    note.placeholder = t('review.note');
    note.setAttribute('aria-label', t('review.note'));
    const confirm = el('button', 'primary confirm', t('review.confirm'));
    const falseAlarm = el('button', 'false-alarm', t('review.false_alarm'));
    confirm.type = falseAlarm.type = 'button';
    confirm.onclick = () => send('confirmed', note.value.trim(), [confirm, falseAlarm]);
    falseAlarm.onclick = () => send('false_alarm', note.value.trim(), [confirm, falseAlarm]);
    acts.append(note, confirm, falseAlarm);
  }
  const remind = el('button', 'remind', t('review.remind'));
  remind.type = 'button';
  remind.onclick = () => openRemind(e);
  const toCase = el('button', 'to-case', t('review.case'));
  toCase.type = 'button';
  toCase.onclick = () => openCase(e);
  acts.append(remind, toCase, err);
  r.append(acts);
  return r;
}

// The reminder dialog: the officer reminds the camera's owner of an event
// (POST /api/reminders); the API's field errors go under their fields.
const remindDlg = document.getElementById('review-remind');
const remindForm = remindDlg.querySelector('form');
const advice = JSON.parse(document.getElementById('review-advice')?.textContent || '{}') || {};
let remindEvent = null;

function clearRemindErrors() {
  for (const p of remindForm.querySelectorAll('[data-error], [data-form-error]')) { p.hidden = true; p.textContent = ''; }
  for (const i of remindForm.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
}

function openRemind(e) {
  remindEvent = e;
  clearRemindErrors();
  remindForm.reset();
  const def = advice[e.type] || '';
  remindForm.elements.advice.placeholder = def;
  remindForm.querySelector('.remind-default').hidden = def === '';
  remindForm.querySelector('.remind-event').textContent = `${t('alert.type.' + e.type)} · ${names[e.camera_id] || e.camera_id} · ${e.start_local}`;
  remindForm.querySelector('.remind-done').hidden = true;
  remindForm.querySelector('.remind-mail-failed').hidden = true;
  remindForm.querySelector('[data-send]').hidden = false;
  remindForm.querySelector('[data-send]').disabled = false;
  remindDlg.showModal();
}

remindForm.querySelector('[data-send]').addEventListener('click', async (ev) => {
  const btn = ev.currentTarget;
  clearRemindErrors();
  btn.disabled = true;
  const f = remindForm.elements;
  try {
    const rem = await api('POST', '/api/reminders', { event_id: remindEvent.id, advice: f.advice.value.trim(), email: f.email.value.trim() });
    const failed = remindForm.querySelector('.remind-mail-failed');
    failed.textContent = rem.delivered?.email === 'failed' ? `${t('review.remind.mailfail')}: ${rem.delivered.email_error || ''}` : '';
    failed.hidden = failed.textContent === '';
    remindForm.querySelector('.remind-done').hidden = false;
    btn.hidden = true;
  } catch (x) {
    const rest = [];
    for (const fe of x.fields || []) {
      const msg = lang === 'vi' ? (fe.message_vi || fe.message) : fe.message;
      const p = remindForm.querySelector(`[data-error="${CSS.escape(fe.field)}"]`);
      if (!p) { rest.push(msg); continue; }
      p.textContent = msg;
      p.hidden = false;
      f[fe.field]?.setAttribute('aria-invalid', 'true');
    }
    const box = remindForm.querySelector('[data-form-error]');
    box.textContent = (x.fields?.length ? t('review.remind.fix') : x.message) + (rest.length ? ': ' + rest.join('; ') : '');
    box.hidden = false;
    btn.disabled = false;
  }
});

// The case dialog: the officer picks an open case and attaches the event
// to it (POST /api/cases/{id}/items).
const caseDlg = document.getElementById('review-case');
const caseForm = caseDlg?.querySelector('form');
let caseEvent = null;

async function openCase(e) {
  caseEvent = e;
  const pick = caseForm.elements.case;
  const msg = caseForm.querySelector('[data-form-error]');
  const done = caseForm.querySelector('.case-done');
  const add = caseForm.querySelector('[data-add]');
  msg.hidden = done.hidden = true;
  add.hidden = false;
  add.disabled = true;
  caseForm.querySelector('.case-event').textContent = `${t('alert.type.' + e.type)} · ${names[e.camera_id] || e.camera_id} · ${e.start_local}`;
  pick.replaceChildren();
  caseDlg.showModal();
  try {
    const cases = await api('GET', '/api/cases?status=open');
    for (const c of cases) {
      const o = el('option', '', `${c.number} · ${c.title}`);
      o.value = c.id;
      pick.append(o);
    }
    caseForm.querySelector('.case-none').hidden = cases.length > 0;
    add.disabled = cases.length === 0;
  } catch (x) {
    msg.textContent = x.message;
    msg.hidden = false;
  }
}

caseForm?.querySelector('[data-add]').addEventListener('click', async (ev) => {
  const btn = ev.currentTarget;
  const msg = caseForm.querySelector('[data-form-error]');
  const id = caseForm.elements.case.value;
  msg.hidden = true;
  btn.disabled = true;
  try {
    await api('POST', `/api/cases/${encodeURIComponent(id)}/items`, { kind: 'event', event_id: caseEvent.id });
    const done = caseForm.querySelector('.case-done');
    done.querySelector('a').href = '/cases/' + encodeURIComponent(id);
    done.hidden = false;
    btn.hidden = true;
  } catch (x) {
    const fe = x.fields?.[0];
    msg.textContent = fe ? (lang === 'vi' ? (fe.message_vi || fe.message) : fe.message) : x.message;
    msg.hidden = false;
    btn.disabled = false;
  }
});

function showNone() {
  if (!list.querySelector('.review-row')) list.replaceChildren(el('p', 'muted empty', t('review.none')));
}

async function load() {
  const q = new URLSearchParams({ limit: String(LIMIT) });
  for (const k of ['camera', 'type', 'review']) if (filter[k]) q.set(k, filter[k]);
  const day = dayRange(filter.date);
  if (day) { q.set('from', day.from.toISOString()); q.set('to', day.to.toISOString()); }
  try {
    const events = await api('GET', '/api/events?' + q);
    list.replaceChildren(...events.map(row));
    limitEl.hidden = events.length < LIMIT;
    showNone();
  } catch (x) {
    list.replaceChildren();
    errorEl.textContent = x.message;
    errorEl.hidden = false;
  }
}

// matches reports whether a live event belongs in the filtered list.
function matches(e) {
  if ((filter.camera && e.camera_id !== filter.camera) || (filter.type && e.type !== filter.type) ||
      (filter.review && e.review !== filter.review)) return false;
  const day = dayRange(filter.date);
  const start = new Date(e.start);
  return !day || (start >= day.from && start < day.to);
}

document.addEventListener('matthan:analytics', async (ev) => {
  const live = ev.detail;
  const old = list.querySelector(`.review-row[data-event="${CSS.escape(live.id)}"]`);
  if (!matches(live)) { old?.remove(); showNone(); return; }
  let e;
  try { e = await api('GET', '/api/events/' + encodeURIComponent(live.id)); } catch { return; }
  const current = list.querySelector(`.review-row[data-event="${CSS.escape(live.id)}"]`);
  const r = row(e);
  if (current) {
    if (current.classList.contains('fresh')) r.classList.add('fresh');
    if (current.contains(document.activeElement)) return; // someone is typing a note: keep it
    current.replaceWith(r);
    return;
  }
  r.classList.add('fresh');
  list.querySelector('.empty')?.remove();
  list.prepend(r);
});

load();
