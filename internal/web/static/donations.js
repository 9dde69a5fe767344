// The donation ledger: the entry forms for donations and camera costs
// (per-field errors from the API), editing and deleting entries. The
// ledger itself and its totals are drawn by the server; after a change the
// page reloads with the same filters.

import { api } from '/static/app.js';

const texts = JSON.parse(document.getElementById('donation-i18n')?.textContent || '{}');
const tr = (key) => texts[key] ?? key;
const $ = (id) => document.getElementById(id);

// amount reads "50.000.000", "50 000 000 ₫" or "-5" as a number of đồng;
// what is not a number is sent as 0, which the API refuses with a message.
function amount(s) {
  const v = Number(String(s).replace(/[\s.,₫đ]/g, ''));
  return Number.isFinite(v) ? Math.trunc(v) : 0;
}

function clearErrors(form, formError) {
  formError.hidden = true;
  for (const p of form.querySelectorAll('[data-error]')) { p.hidden = true; p.textContent = ''; }
  for (const i of form.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
}

// showErrors puts each field's message under it and the rest above the
// button; the first bad field gets the focus.
function showErrors(form, formError, err) {
  let first = null;
  const rest = [];
  for (const f of err.fields || []) {
    const p = form.querySelector(`[data-error="${CSS.escape(f.field)}"]`);
    const input = form.elements.namedItem(f.field);
    const msg = document.body.dataset.lang === 'en' ? f.message : (f.message_vi || f.message);
    if (!p) { rest.push(msg); continue; }
    p.textContent = msg;
    p.hidden = false;
    if (input && input.setAttribute) { input.setAttribute('aria-invalid', 'true'); first ??= input; }
  }
  formError.textContent = [err.message, ...rest].join(' · ');
  formError.hidden = false;
  first?.focus();
}

const reload = () => location.reload();

// ---- Donations ------------------------------------------------------------

const form = $('donation-form');
if (form) {
  const formError = $('donation-form-error');
  const el = (name) => form.elements.namedItem(name);
  const val = (name) => (el(name)?.value ?? '').trim();
  const title = $('donation-form-title');
  const cancel = $('donation-cancel');

  const body = () => ({
    donor: { kind: val('donor.kind'), name: val('donor.name'), address: val('donor.address'), contact: val('donor.contact'),
      anonymous: el('donor.anonymous').checked },
    kind: val('kind'), amount_vnd: amount(val('amount_vnd')), equipment: val('equipment'), date: val('date'),
    purpose: val('purpose'), cameras: [...el('cameras').selectedOptions].map((o) => o.value),
    works: el('works').value, receipt_no: val('receipt_no'), note: el('note').value,
  });

  function edit(d) {
    form.dataset.id = d.id;
    el('donor.kind').value = d.donor.kind;
    el('donor.name').value = d.donor.name;
    el('donor.address').value = d.donor.address;
    el('donor.contact').value = d.donor.contact;
    el('donor.anonymous').checked = d.donor.anonymous;
    el('kind').value = d.kind;
    el('amount_vnd').value = d.amount_vnd.toLocaleString('vi-VN');
    el('equipment').value = d.equipment;
    el('date').value = d.date;
    el('purpose').value = d.purpose;
    for (const o of el('cameras').options) o.selected = d.cameras.includes(o.value);
    el('works').value = d.works;
    el('receipt_no').value = d.receipt_no;
    el('note').value = d.note;
    title.textContent = title.dataset.edit;
    cancel.hidden = false;
    form.scrollIntoView({ behavior: 'smooth' });
    el('donor.name').focus();
  }
  cancel.addEventListener('click', () => {
    delete form.dataset.id;
    form.reset();
    clearErrors(form, formError);
    title.textContent = title.dataset.new;
    cancel.hidden = true;
  });

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form, formError);
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      const id = form.dataset.id;
      await api(id ? 'PUT' : 'POST', id ? '/api/donations/' + encodeURIComponent(id) : '/api/donations', body());
      reload();
    } catch (e) {
      showErrors(form, formError, e);
      btn.disabled = false;
    }
  });

  $('donation-table')?.addEventListener('click', async (ev) => {
    const btn = ev.target.closest('button');
    const row = ev.target.closest('tr[data-donation]');
    if (!btn || !row) return;
    const listError = $('ledger-error');
    listError.hidden = true;
    try {
      if (btn.dataset.edit) {
        edit(await api('GET', '/api/donations/' + encodeURIComponent(btn.dataset.edit)));
      } else if (btn.dataset.delete) {
        if (!confirm(tr('donation.delete_q').replace('%s', row.dataset.receipt))) return;
        await api('DELETE', '/api/donations/' + encodeURIComponent(btn.dataset.delete));
        reload();
      }
    } catch (e) {
      listError.textContent = e.message;
      listError.hidden = false;
    }
  });
}

// ---- Camera costs ---------------------------------------------------------

const costForm = $('cost-form');
if (costForm) {
  const formError = $('cost-form-error');
  const val = (name) => (costForm.elements.namedItem(name)?.value ?? '').trim();
  costForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(costForm, formError);
    const btn = costForm.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      await api('POST', '/api/costs', {
        camera_id: val('camera_id'), kind: val('kind'), amount_vnd: amount(val('amount_vnd')), date: val('date'),
        invoice_no: val('invoice_no'), note: costForm.elements.namedItem('note').value,
      });
      reload();
    } catch (e) {
      showErrors(costForm, formError, e);
      btn.disabled = false;
    }
  });
  $('cost-table')?.addEventListener('click', async (ev) => {
    const btn = ev.target.closest('button[data-delete-cost]');
    if (!btn || !confirm(tr('donation.cost_delete_q'))) return;
    try {
      await api('DELETE', '/api/costs/' + encodeURIComponent(btn.dataset.deleteCost));
      reload();
    } catch (e) {
      $('ledger-error').textContent = e.message;
      $('ledger-error').hidden = false;
    }
  });
}
