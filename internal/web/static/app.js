// Shared by every page: translations, the API helper (with the CSRF token),
// the clock, sign-out, and the alert banner fed by /events.

const messages = JSON.parse(document.getElementById('i18n')?.textContent || '{}');
export const lang = document.body.dataset.lang || 'vi';

// t returns the message of key in the page's language (the server put the
// ones scripts need into the page).
export function t(key) { return messages[key] ?? key; }

// csrf is the session's token for the API's unsafe methods.
export const csrf = document.querySelector('meta[name="csrf-token"]')?.content || '';

// api calls the JSON API and returns the decoded body, or throws an Error
// whose message is the server's message in the page's language.
export async function api(method, url, body) {
  const opts = { method, headers: { 'Accept': 'application/json' }, credentials: 'same-origin' };
  if (method !== 'GET' && method !== 'HEAD') opts.headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) { opts.headers['Content-Type'] = 'application/json'; opts.body = JSON.stringify(body); }
  let res;
  try { res = await fetch(url, opts); } catch { throw new Error(t('err.network')); }
  if (res.status === 401 && !location.pathname.startsWith('/login')) {
    location.href = '/login?next=' + encodeURIComponent(location.pathname + location.search);
    throw new Error(t('err.network'));
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!res.ok) {
    const e = data?.error;
    const err = new Error(e ? (lang === 'vi' ? (e.message_vi || e.message) : e.message) : `HTTP ${res.status}`);
    err.status = res.status; err.fields = e?.fields || [];
    throw err;
  }
  return data;
}

const pad = (n) => String(n).padStart(2, '0');

// fmtLocal writes a time as dd/MM/yyyy HH:mm:ss in Asia/Ho_Chi_Minh (UTC+7,
// no daylight saving), whatever the browser's own zone.
export function fmtLocal(d) {
  const v = new Date((d instanceof Date ? d.getTime() : new Date(d).getTime()) + 7 * 3600e3);
  return `${pad(v.getUTCDate())}/${pad(v.getUTCMonth() + 1)}/${v.getUTCFullYear()} ${pad(v.getUTCHours())}:${pad(v.getUTCMinutes())}:${pad(v.getUTCSeconds())}`;
}

// parseLocal reads dd/MM/yyyy HH:mm:ss (Asia/Ho_Chi_Minh) into a Date, or null.
export function parseLocal(s) {
  const m = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$/.exec(s || '');
  if (!m) return null;
  const ms = Date.UTC(+m[3], +m[2] - 1, +m[1], +(m[4] || 0), +(m[5] || 0), +(m[6] || 0)) - 7 * 3600e3;
  const d = new Date(ms);
  return isNaN(d) ? null : d;
}

function tickClocks() {
  const now = fmtLocal(new Date());
  for (const el of document.querySelectorAll('[data-clock]')) el.textContent = now;
}
setInterval(tickClocks, 1000);

document.querySelector('[data-signout]')?.addEventListener('click', async () => {
  try { await api('DELETE', '/api/session'); } finally { location.href = '/login'; }
});

// The alert banner: a camera that goes down appears here on every page
// (and as a desktop notification when allowed); it leaves when it is back.
const alertsEl = document.getElementById('alerts');
const shown = new Map(); // camera/stream → element

function showAlert(a) {
  const key = a.camera_id + '/' + a.stream;
  shown.get(key)?.remove();
  shown.delete(key);
  const el = document.createElement('div');
  el.className = 'alert' + (a.down ? '' : ' back');
  const what = a.down ? ({ stalled: t('alert.stalled'), auth_failed: t('alert.auth') }[a.state] || t('alert.offline')) : t('alert.back');
  const reason = lang === 'vi' ? (a.reason_vi || a.reason) : a.reason;
  el.innerHTML = '<strong></strong> <a></a> <span></span> <button type="button" class="link"></button>';
  el.querySelector('strong').textContent = what;
  const link = el.querySelector('a');
  link.textContent = a.camera_name || a.camera_id;
  link.href = '/?camera=' + encodeURIComponent(a.camera_id);
  el.querySelector('span').textContent = `(${a.stream}) ${reason ? reason + ' · ' : ''}${t('alert.since')} ${a.since}`;
  const btn = el.querySelector('button');
  btn.textContent = t('alert.dismiss');
  btn.onclick = () => { el.remove(); shown.delete(key); };
  el.dataset.camera = a.camera_id;
  el.dataset.state = a.state;
  alertsEl.prepend(el);
  shown.set(key, el);
  if (!a.down) setTimeout(() => { if (shown.get(key) === el) { el.remove(); shown.delete(key); } }, 15000);
  document.dispatchEvent(new CustomEvent('matthan:health', { detail: a }));
}

function notify(a) {
  if (!('Notification' in window) || Notification.permission !== 'granted' || !a.down) return;
  try { new Notification(`${t('alert.offline')}: ${a.camera_name || a.camera_id}`, { body: lang === 'vi' ? (a.reason_vi || a.reason) : a.reason, tag: a.camera_id }); } catch { /* some browsers allow only service-worker notifications */ }
}

// Analytics events reach officers and admins too. The server marks those
// the user's alert settings want now (alert) and whether they want a
// desktop notification too; the others only keep the review page live.
// The server sends an event again on each update, so an alert is announced
// once per ID (kept for the tab's session, across pages) and leaves when
// someone reviews it.
const announced = new Set(JSON.parse(sessionStorage.getItem('matthan.announced') || '[]'));
const eventLines = new Map(); // event ID → banner element

function showAnalytics(e) {
  document.dispatchEvent(new CustomEvent('matthan:analytics', { detail: e }));
  if (e.review !== 'none') { eventLines.get(e.id)?.remove(); eventLines.delete(e.id); return; }
  if (!e.alert || announced.has(e.id)) return;
  announced.add(e.id);
  sessionStorage.setItem('matthan.announced', JSON.stringify([...announced].slice(-200)));
  const summary = lang === 'vi' ? (e.summary_vi || e.summary) : e.summary;
  const el = document.createElement('div');
  el.className = 'alert event';
  el.innerHTML = '<strong></strong> <a></a> <span></span> <button type="button" class="link"></button>';
  // "Báo động" (alarm) only for alarms; a warning the user asked for shows its type alone.
  el.querySelector('strong').textContent = e.severity === 'alarm' ? `${t('alert.event')}: ${t('alert.type.' + e.type)}` : t('alert.type.' + e.type);
  const link = el.querySelector('a');
  link.textContent = e.camera_name || e.camera_id;
  link.href = '/review?camera=' + encodeURIComponent(e.camera_id);
  el.querySelector('span').textContent = `${summary} · ${e.start_local}`;
  const btn = el.querySelector('button');
  btn.textContent = t('alert.dismiss');
  btn.onclick = () => { el.remove(); eventLines.delete(e.id); };
  el.dataset.event = e.id;
  alertsEl.prepend(el);
  eventLines.set(e.id, el);
  if (e.desktop && 'Notification' in window && Notification.permission === 'granted') {
    try { new Notification(`${t('alert.event')}: ${e.camera_name || e.camera_id}`, { body: summary, tag: 'event-' + e.id }); } catch { /* only service-worker notifications here */ }
  }
}

if (alertsEl) {
  const es = new EventSource('/events');
  es.addEventListener('analytics', (ev) => showAnalytics(JSON.parse(ev.data)));
  let ready = false;
  es.addEventListener('health', (ev) => {
    const a = JSON.parse(ev.data);
    showAlert(a);
    if (ready) notify(a);
  });
  es.onopen = () => { setTimeout(() => { ready = true; }, 500); };
  if ('Notification' in window && Notification.permission === 'default') {
    document.addEventListener('click', () => Notification.requestPermission().catch(() => {}), { once: true });
  }
}
