// The contributor's portal: each camera's sharing (mode, time windows,
// pause), registering a camera, and the log of every access to them. All
// through the API's /api/my/… routes, which serve only the caller's own.

import { api, lang, fmtLocal } from '/static/app.js';

const texts = JSON.parse(document.getElementById('my-i18n')?.textContent || '{}');
const tr = (key) => texts[key] ?? key;
const msg = (e) => (lang === 'vi' ? e.message_vi || e.message : e.message);

// showFieldErrors puts each field's message under its field in form (the
// [data-error] holder whose name is the field's, or whose name starts
// it: "sharing.windows[1]" goes under "sharing.windows"), and the rest in
// the box at the bottom. mark returns the input to flag for a field.
function showFieldErrors(form, box, e, mark) {
  const rest = [];
  let first = null;
  for (const f of e.fields || []) {
    const key = f.field.startsWith('preset.') ? 'preset' : f.field.replace(/\[\d+\]$/, '');
    const p = form.querySelector(`[data-error="${CSS.escape(key)}"]`);
    if (!p) { rest.push(msg(f)); continue; }
    if (!p.textContent.includes(msg(f))) p.textContent = (p.textContent ? p.textContent + ' ' : '') + msg(f);
    p.hidden = false;
    mark(f.field)?.setAttribute('aria-invalid', 'true');
    first ??= p;
  }
  box.textContent = (e.fields?.length ? tr('my.fix_fields') : e.message) + (rest.length ? ': ' + rest.join('; ') : '');
  box.hidden = false;
  (first || box).scrollIntoView({ block: 'center' });
}

function clearErrors(form, box) {
  box.hidden = true;
  for (const p of form.querySelectorAll('[data-error]')) { p.hidden = true; p.textContent = ''; }
  for (const i of form.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
}

// ---- Sharing ----------------------------------------------------------------

const windowTpl = document.getElementById('my-window-tpl');

for (const form of document.querySelectorAll('form.my-sharing')) {
  const id = form.dataset.camera;
  const box = form.querySelector('[data-form-error]');
  const saved = form.querySelector('[data-saved]');
  const list = form.querySelector('.my-windows');
  const rows = () => [...list.querySelectorAll('.my-window')];

  // body is the sharing as the API takes it; a window row left empty is
  // dropped, so adding one by mistake does not block saving.
  const body = (paused) => ({
    mode: form.querySelector('input[name=mode]:checked')?.value || 'live',
    windows: rows().map((r) => ({ from: r.querySelector('[name=from]').value.trim(), to: r.querySelector('[name=to]').value.trim() }))
      .filter((w) => w.from !== '' || w.to !== ''),
    paused,
  });

  async function save(paused) {
    clearErrors(form, box);
    saved.hidden = true;
    for (const b of form.querySelectorAll('button')) b.disabled = true;
    try {
      const cam = await api('PUT', `/api/my/cameras/${encodeURIComponent(id)}/sharing`, body(paused));
      form.dataset.paused = String(cam.sharing.paused);
      return true;
    } catch (e) {
      showFieldErrors(form, box, e, (field) => {
        const m = /^sharing\.windows\[(\d+)\]$/.exec(field);
        return m ? rows()[+m[1]]?.querySelector('[name=from]') : null;
      });
      return false;
    } finally {
      for (const b of form.querySelectorAll('button')) b.disabled = false;
    }
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (await save(form.dataset.paused === 'true')) saved.hidden = false;
  });
  // Pause and resume are in force at once; the page reloads to show the
  // camera's new state.
  form.querySelector('[data-pause]').addEventListener('click', async () => {
    if (await save(form.dataset.paused !== 'true')) location.reload();
  });
  form.querySelector('[data-add-window]').addEventListener('click', () => {
    list.append(windowTpl.content.cloneNode(true));
    rows().at(-1).querySelector('[name=from]').focus();
  });
  list.addEventListener('click', (ev) => {
    if (ev.target.closest('[data-remove]')) ev.target.closest('.my-window').remove();
  });
}

// ---- Access log ---------------------------------------------------------------

const logSel = document.getElementById('my-log-camera');
const logBody = document.querySelector('#my-log tbody');
const logNone = document.getElementById('my-log-none');
const logError = document.getElementById('my-log-error');

// actionText names an audit action in words: its own message, else its
// family's ("playback.hls" → "playback"), else the action itself.
function actionText(a) {
  for (let k = a; k; k = k.includes('.') ? k.slice(0, k.lastIndexOf('.')) : '') {
    if (texts['my.action.' + k]) return texts['my.action.' + k];
  }
  return a;
}

// detailText: an approval says which way it went, a sharing change what
// it became (the API writes "mode=… paused=… windows=a-b,c-d").
function detailText(e) {
  if (e.action === 'camera.approval' && texts['my.approval.' + e.detail]) return texts['my.approval.' + e.detail];
  if (e.action === 'camera.sharing') {
    const kv = Object.fromEntries((e.detail || '').split(' ').map((p) => p.split('=')));
    const parts = [texts['my.mode.' + kv.mode] || kv.mode];
    if (kv.windows) parts.push(kv.windows.replaceAll('-', '–').replaceAll(',', ', '));
    if (kv.paused === 'true') parts.push(tr('my.paused'));
    return parts.join(' · ');
  }
  if (e.action.startsWith('access.')) {
    // "request=3 from=… to=… reason="…"": the footage asked for and why.
    const m = /from=(\S+) to=(\S+) reason="((?:[^"\\]|\\.)*)"/.exec(e.detail || '');
    if (m) return `${fmtLocal(new Date(m[1]))} – ${fmtLocal(new Date(m[2]))} · ${m[3].replace(/\\(.)/g, '$1')}`;
  }
  // Other details name times in UTC (RFC 3339): shown in Vietnam time.
  return (e.detail || '').replace(/\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g, (t) => fmtLocal(new Date(t)));
}

// cameraNames are the contributor's cameras by ID, from the filter's list.
const cameraNames = new Map([...document.querySelectorAll('#my-log-camera option')].filter((o) => o.value).map((o) => [o.value, o.textContent]));

async function loadLog() {
  logError.hidden = true;
  const q = logSel.value ? '?camera=' + encodeURIComponent(logSel.value) : '';
  try {
    const entries = await api('GET', '/api/my/access' + q);
    logBody.replaceChildren(...entries.map((e) => {
      const tr = document.createElement('tr');
      tr.dataset.action = e.action;
      for (const text of [fmtLocal(e.at), e.user, actionText(e.action), cameraNames.get(e.camera_id) || e.camera_id || '', detailText(e)]) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    }));
    logNone.hidden = entries.length > 0;
  } catch (e) {
    logError.textContent = e.message;
    logError.hidden = false;
  }
}
logSel.addEventListener('change', loadLog);
loadLog();

// add appends a new tag (with a class and text, if given) to parent.
function add(parent, tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  parent.append(e);
  return e;
}

// ---- Reminders ------------------------------------------------------------------

// The ward police's reminders to this owner (GET /api/my/reminders), those
// not yet acknowledged first; the owner acknowledges each with a note.
const remList = document.getElementById('my-rem');
const remNone = document.getElementById('my-rem-none');
const remError = document.getElementById('my-rem-error');

function remItem(r) {
  const a = document.createElement('article');
  a.className = 'my-rem' + (r.acked ? ' acked' : '');
  a.dataset.reminder = r.id;
  a.dataset.acked = String(r.acked);
  const body = add(a, 'div', 'body');
  add(body, 'h3', 'what', r.what);
  add(body, 'p', 'meta muted', `${tr('my.rem.seen')} ${r.seen_at_local} · ${cameraNames.get(r.camera_id) || r.camera_id}`);
  const adv = add(body, 'p', 'advice');
  add(adv, 'strong', '', tr('my.rem.advice') + ': ');
  adv.append(r.advice);
  const notice = add(add(body, 'p', 'links'), 'a', 'notice-pdf', tr('my.rem.notice'));
  notice.href = r.notice_url;
  notice.target = '_blank';
  notice.rel = 'noopener';
  if (r.snapshot_url) {
    const img = add(a, 'img', 'snap');
    img.src = r.snapshot_url;
    img.alt = tr('my.rem.snapshot');
    img.loading = 'lazy';
  }
  const ack = add(a, 'div', 'ack');
  if (r.acked) {
    add(ack, 'span', 'acked-line', `${tr('my.rem.acked_at')} ${r.acked_at_local}`);
    if (r.ack_note) add(ack, 'span', 'ack-note', r.ack_note);
    return a;
  }
  add(ack, 'span', 'badge new', tr('my.rem.new'));
  const note = add(ack, 'input', 'note');
  note.type = 'text';
  note.maxLength = 1000;
  note.placeholder = tr('my.rem.note');
  note.setAttribute('aria-label', tr('my.rem.note'));
  const btn = add(ack, 'button', 'primary ack-btn', tr('my.rem.ack'));
  btn.type = 'button';
  const err = add(ack, 'p', 'error-text');
  err.hidden = true;
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    err.hidden = true;
    try {
      a.replaceWith(remItem(await api('POST', `/api/my/reminders/${r.id}/ack`, { note: note.value.trim() })));
    } catch (e) {
      err.textContent = e.message;
      err.hidden = false;
      btn.disabled = false;
    }
  });
  return a;
}

async function loadReminders() {
  try {
    const list = await api('GET', '/api/my/reminders');
    list.sort((x, y) => Number(x.acked) - Number(y.acked)); // stable: newest first within each
    remList.replaceChildren(...list.map(remItem));
    remNone.hidden = list.length > 0;
  } catch (e) {
    if (e.status === 404) { // the node keeps no reminders
      document.getElementById('my-rem-section').hidden = true;
      return;
    }
    remError.textContent = e.message;
    remError.hidden = false;
  }
}
loadReminders();

// ---- Requests for footage ---------------------------------------------------------

// Officers' requests for footage of this owner's on-request cameras
// (GET /api/my/access-requests); the owner grants or refuses each waiting
// one, with a word to the officer, and may take a grant back.
const reqList = document.getElementById('my-req');
const reqNone = document.getElementById('my-req-none');
const reqError = document.getElementById('my-req-error');

function reqItem(r) {
  const a = document.createElement('article');
  const open = r.status === 'pending';
  a.className = 'my-rem' + (open ? '' : ' acked');
  a.dataset.request = r.id;
  a.dataset.status = r.status;
  const body = add(a, 'div', 'body');
  add(body, 'h3', 'what', `${r.camera_name || r.camera_id}: ${r.from_local} – ${r.to_local}`);
  add(body, 'p', 'meta muted', `${tr('my.req.by')} ${r.requester} · ${tr('my.req.asked')} ${r.created_at_local}`);
  const why = add(body, 'p', 'advice');
  add(why, 'strong', '', tr('my.req.reason') + ': ');
  why.append(r.reason);
  const act = add(a, 'div', 'ack');
  const state = r.status === 'granted' && !r.active ? 'expired' : r.status;
  add(act, 'span', open ? 'badge new' : 'acked-line', tr('my.req.' + state) + (r.active ? ` · ${tr('my.req.until')} ${r.until_local}` : ''));
  if (r.note) add(act, 'span', 'ack-note', r.note);
  const answer = async (what, note) => {
    err.hidden = true;
    try {
      a.replaceWith(reqItem(await api('POST', `/api/my/access-requests/${r.id}/${what}`, { note })));
    } catch (e) {
      err.textContent = e.message;
      err.hidden = false;
    }
  };
  let err;
  if (open) {
    const note = add(act, 'input', 'note');
    note.type = 'text';
    note.maxLength = 1000;
    note.placeholder = tr('my.req.note');
    note.setAttribute('aria-label', tr('my.req.note'));
    for (const [what, cls] of [['grant', 'primary'], ['refuse', '']]) {
      const b = add(act, 'button', cls, tr('my.req.' + what));
      b.type = 'button';
      b.dataset.answer = what;
      b.addEventListener('click', () => answer(what, note.value.trim()));
    }
  } else if (r.active) {
    const b = add(act, 'button', 'danger', tr('my.req.revoke'));
    b.type = 'button';
    b.dataset.answer = 'revoke';
    b.addEventListener('click', () => answer('revoke', ''));
  }
  err = add(act, 'p', 'error-text');
  err.hidden = true;
  return a;
}

async function loadRequests() {
  try {
    const list = await api('GET', '/api/my/access-requests');
    list.sort((x, y) => Number(y.status === 'pending') - Number(x.status === 'pending')); // waiting ones first
    reqList.replaceChildren(...list.map(reqItem));
    reqNone.hidden = list.length > 0;
  } catch (e) {
    if (e.status === 404) { // the node takes no requests
      document.getElementById('my-req-section').hidden = true;
      return;
    }
    reqError.textContent = e.message;
    reqError.hidden = false;
  }
}
loadRequests();

// ---- Registration -------------------------------------------------------------

const reg = document.getElementById('my-reg');
const regError = document.getElementById('my-reg-error');
const el = (name) => reg.elements.namedItem(name);
const val = (name) => (el(name)?.value ?? '').trim();
const num = (name) => { const v = val(name).replace(',', '.'); return v === '' ? 0 : Number(v); };

function regBody() {
  const b = {
    id: val('id'), name: val('name'), area: val('area'), address: val('address'),
    latitude: num('latitude'), longitude: num('longitude'),
    owner: { kind: val('owner.kind'), name: val('owner.name'), contact: val('owner.contact') },
    source: reg.querySelector('input[name=source]:checked')?.value || 'pull',
    main_url: val('main_url'), sub_url: val('sub_url'), username: val('username'),
  };
  if (val('direction') !== '') b.direction = num('direction');
  const pw = el('password').value;
  if (pw !== '') b.password = pw;
  return b;
}

reg.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  clearErrors(reg, regError);
  const btn = reg.querySelector('button[type=submit]');
  btn.disabled = true;
  try {
    await api('POST', '/api/my/cameras', regBody());
    location.reload();
  } catch (e) {
    showFieldErrors(reg, regError, e, (field) => el(field));
    btn.disabled = false;
  }
});

// Brand presets, as on the camera form: the page lists each brand's paths
// for channel 1; Hikvision numbers streams n01/n02, Dahua takes channel=n.
const brandSel = document.getElementById('my-brand');
const brands = JSON.parse(document.getElementById('my-brands')?.textContent || '[]') || [];
for (const b of brands) brandSel.add(new Option(b.name, b.id));
const forChannel = (path, n) => path.replace(/(\/Channels\/)1(0\d)$/, `$1${n}$2`).replace(/([?&]channel=)1(?=&|$)/, `$1${n}`);
document.getElementById('my-fill').addEventListener('click', () => {
  clearErrors(reg, regError);
  const brand = brands.find((b) => b.id === brandSel.value);
  const host = document.getElementById('my-host').value.trim();
  const port = document.getElementById('my-port').value.trim() || '554';
  const ch = parseInt(document.getElementById('my-channel').value, 10) || 1;
  const problems = [];
  if (!brand) problems.push({ field: 'preset.brand', message: tr('camera.f.brand'), message_vi: tr('camera.f.brand') });
  if (!host || /[\s/@]/.test(host)) problems.push({ field: 'preset.host', message: tr('camera.f.host'), message_vi: tr('camera.f.host') });
  if (problems.length) { showFieldErrors(reg, regError, { fields: problems }, () => null); return; }
  const base = `rtsp://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
  el('main_url').value = base + forChannel(brand.main_path, ch);
  el('sub_url').value = base + forChannel(brand.sub_path, ch);
  if (!val('username')) el('username').value = 'admin';
});
