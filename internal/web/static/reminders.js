// The reminders page: every reminder sent to camera owners, newest first,
// from the JSON API, with whether the owner acknowledged it; officers
// record their follow-ups of those who have not.

import { api } from '/static/app.js';

const texts = JSON.parse(document.getElementById('rem-i18n')?.textContent || '{}');
const t = (key) => texts[key] ?? key;
const names = JSON.parse(document.getElementById('rem-cameras')?.textContent || '{}') || {};
const body = document.querySelector('#rem-table tbody');
const none = document.getElementById('rem-none');
const errorEl = document.getElementById('rem-error');
const params = new URLSearchParams(location.search);

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function link(cls, text, href) {
  const a = el('a', cls, text);
  a.href = href;
  a.target = '_blank';
  a.rel = 'noopener';
  return a;
}

// row draws one reminder; every text goes in as text, never as HTML.
function row(r) {
  const tr = el('tr');
  tr.dataset.reminder = r.id;
  tr.dataset.acked = String(r.acked);
  tr.dataset.overdue = String(r.overdue);
  const cell = (cls, ...kids) => { const td = el('td', cls); td.append(...kids); tr.append(td); return td; };

  cell('camera', names[r.camera_id] || r.camera_id, el('br'), el('small', 'muted', r.camera_id));
  const who = cell('recipient', r.recipient || t('rem.no_recipient'));
  if (r.email) who.append(el('br'), el('small', 'muted', r.email));
  cell('time', r.seen_at_local);
  const what = cell('what', el('span', 'what', r.what));
  what.append(el('br'), el('small', 'muted', `${t('rem.advice')}: ${r.advice}`), el('br'), el('small', 'muted', `${t('rem.by')}: ${r.created_by} · ${r.created_at_local}`));

  const via = cell('delivery');
  if (r.delivered?.portal && r.recipient) via.append(el('div', 'portal', t('rem.portal')));
  if (r.delivered?.email === 'sent') via.append(el('div', 'email sent', t('rem.email.sent')));
  if (r.delivered?.email === 'failed') {
    via.append(el('div', 'email failed', t('rem.email.failed')));
    if (r.delivered.email_error) via.append(el('small', 'muted reason', r.delivered.email_error));
  }

  const st = cell('status');
  if (r.acked) {
    st.append(el('div', 'acked', `${t('rem.acked_at')} ${r.acked_at_local}`));
    if (r.ack_note) st.append(el('div', 'ack-note', r.ack_note));
  } else if (r.overdue) {
    st.append(el('div', 'overdue', t('rem.overdue_state')));
  } else {
    st.append(el('div', 'unacked', t('rem.unacked_state')));
  }

  const fu = cell('followups', el('div', 'count', `${t('rem.count')}: ${r.follow_ups}`));
  if (!r.acked) fu.append(el('div', 'next muted', `${t('rem.next')}: ${r.follow_up_at_local}`));

  const acts = el('div', 'acts');
  cell('actions', acts);
  const links = el('div');
  links.append(link('notice-pdf', t('rem.notice'), r.notice_url));
  if (r.snapshot_url) links.append(' · ', link('snapshot', t('rem.snapshot'), r.snapshot_url));
  acts.append(links);
  if (!r.acked) {
    const note = el('input', 'note');
    note.type = 'text';
    note.maxLength = 500;
    note.placeholder = t('rem.followup_note');
    note.setAttribute('aria-label', t('rem.followup_note'));
    const btn = el('button', 'followup', t('rem.followup'));
    btn.type = 'button';
    const err = el('p', 'error-text');
    err.hidden = true;
    btn.onclick = async () => {
      btn.disabled = true;
      err.hidden = true;
      try {
        tr.replaceWith(row(await api('POST', `/api/reminders/${r.id}/follow-up`, { note: note.value.trim() })));
      } catch (x) {
        err.textContent = x.message;
        err.hidden = false;
        btn.disabled = false;
      }
    };
    acts.append(note, btn, err);
  }
  return tr;
}

async function load() {
  const q = new URLSearchParams();
  for (const k of ['unacked', 'overdue']) if (params.get(k) === 'true') q.set(k, 'true');
  try {
    const list = await api('GET', '/api/reminders?' + q);
    body.replaceChildren(...list.map(row));
    none.hidden = list.length > 0;
  } catch (x) {
    body.replaceChildren();
    errorEl.textContent = x.message;
    errorEl.hidden = false;
  }
}

load();
