// The account page: change password, sign out everywhere, API tokens, and
// which analytics events alert me.

import { api, fmtLocal, lang } from '/static/app.js';

const texts = JSON.parse(document.getElementById('account-i18n')?.textContent || '{}');
const tr = (key) => texts[key] ?? key;
const msg = (e) => (lang === 'vi' ? e.message_vi || e.message : e.message);

function showError(form, e) {
  let shown = false;
  for (const f of e.fields || []) {
    const p = form.querySelector(`[data-error="${CSS.escape(f.field)}"]`);
    if (p) { p.textContent = msg(f); p.hidden = false; shown = true; }
  }
  const out = form.querySelector('[data-result]');
  out.className = 'error-text';
  out.textContent = e.message;
  out.hidden = shown && !e.message;
}

function clear(form) {
  for (const p of form.querySelectorAll('[data-error], [data-result]')) p.hidden = true;
}

// -- password --

const pwForm = document.getElementById('acct-password');
pwForm?.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  clear(pwForm);
  const f = pwForm.elements;
  if (f.new.value !== f.repeat.value) { showError(pwForm, { message: tr('account.mismatch') }); return; }
  try {
    await api('POST', '/api/session/password', { current: f.current.value, new: f.new.value });
    pwForm.reset();
    const out = pwForm.querySelector('[data-result]');
    out.className = 'ok-text';
    out.textContent = tr('account.changed');
    out.hidden = false;
    // This browser got a new session and CSRF token: load them.
    setTimeout(() => location.reload(), 1500);
  } catch (e) {
    showError(pwForm, e);
  }
});

// -- sign out everywhere --

document.getElementById('acct-revoke')?.addEventListener('click', async () => {
  if (!confirm(tr('account.revoke_q'))) return;
  const err = document.getElementById('acct-revoke-error');
  err.hidden = true;
  try {
    await api('POST', '/api/session/revoke-all');
    location.href = '/login';
  } catch (e) {
    err.textContent = e.message;
    err.hidden = false;
  }
});

// -- API tokens --

const table = document.getElementById('acct-tokens');
const tokenForm = document.getElementById('acct-token-form');
const newToken = document.getElementById('acct-token-new');

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

async function loadTokens() {
  const body = table.tBodies[0];
  try {
    const list = await api('GET', '/api/tokens');
    body.replaceChildren();
    if (!list || list.length === 0) {
      cell(body.insertRow(), tr('account.token_none'), 'muted').colSpan = 6;
      return;
    }
    for (const tok of list) {
      const row = body.insertRow();
      row.dataset.token = tok.id;
      cell(row, tok.name);
      cell(row, (tok.scopes || []).map((s) => tr('account.scope.' + s)).join(', '));
      cell(row, tok.created_at ? fmtLocal(tok.created_at) : '');
      cell(row, tok.expires_at ? fmtLocal(tok.expires_at) : tr('account.token_never'));
      cell(row, tok.last_used ? fmtLocal(tok.last_used) : tr('account.token_unused'), tok.last_used ? '' : 'muted');
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'danger';
      btn.textContent = tr('account.token_revoke');
      btn.addEventListener('click', async () => {
        if (!confirm(tr('account.token_revoke_q').replace('%s', tok.name))) return;
        try { await api('DELETE', '/api/tokens/' + encodeURIComponent(tok.id)); loadTokens(); } catch (e) { alert(e.message); }
      });
      row.insertCell().append(btn);
    }
  } catch (e) {
    body.replaceChildren();
    cell(body.insertRow(), e.message, 'error-text').colSpan = 6;
  }
}

tokenForm?.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  clear(tokenForm);
  newToken.hidden = true;
  const f = tokenForm.elements;
  const scopes = [...tokenForm.querySelectorAll('input[name=scopes]:checked')].map((x) => x.value);
  try {
    const res = await api('POST', '/api/tokens', { name: f.name.value.trim(), scopes, expires: f.expires.value });
    newToken.querySelector('code').textContent = res.token;
    newToken.hidden = false;
    tokenForm.reset();
    loadTokens();
  } catch (e) {
    showError(tokenForm, e);
  }
});

if (table) loadTokens();

// -- alerts I receive --

const alertsForm = document.getElementById('acct-alerts');
const savedAlerts = JSON.parse(document.getElementById('account-alerts')?.textContent || '{}');

// chosen returns the ticked values of a group; all ticked is sent as an
// empty list, which means all (types and areas added later included).
function chosen(name) {
  const boxes = [...alertsForm.querySelectorAll(`input[name=${name}]`)];
  const on = boxes.filter((b) => b.checked).map((b) => b.value);
  return on.length === boxes.length ? [] : on;
}

alertsForm?.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  clear(alertsForm);
  const f = alertsForm.elements;
  const types = chosen('types');
  const areas = chosen('areas');
  // An empty list means all, so "none ticked" cannot be sent.
  if (types.length === 0 && !alertsForm.querySelector('input[name=types]:checked')) {
    showError(alertsForm, { message: '', fields: [{ field: 'types', message: tr('account.alerts_need_type') }] });
    return;
  }
  if (areas.length === 0 && alertsForm.querySelector('input[name=areas]') && !alertsForm.querySelector('input[name=areas]:checked')) {
    showError(alertsForm, { message: '', fields: [{ field: 'areas', message: tr('account.alerts_need_area') }] });
    return;
  }
  try {
    await api('PUT', '/api/me/alerts', {
      cameras: savedAlerts.cameras || [], areas, types, min_severity: f.min_severity.value,
      quiet_from: f.quiet_from.value, quiet_to: f.quiet_to.value, desktop: f.desktop.checked,
    });
    const out = alertsForm.querySelector('[data-result]');
    out.className = 'ok-text';
    out.textContent = tr('account.alerts_saved');
    out.hidden = false;
    if (f.desktop.checked && 'Notification' in window && Notification.permission === 'default') {
      Notification.requestPermission().catch(() => {});
    }
  } catch (e) {
    showError(alertsForm, e);
  }
});
