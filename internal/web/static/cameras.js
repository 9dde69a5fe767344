// Camera management: the list (filter, enable/disable, delete with a
// confirmation that names the camera) and the add/edit form (brand
// presets, test connection, per-field errors from the API).

import { api, lang } from '/static/app.js';

const texts = JSON.parse(document.getElementById('camera-i18n')?.textContent || '{}');
const tr = (key) => texts[key] ?? key;
const msg = (e) => (lang === 'vi' ? e.message_vi || e.message : e.message);
const camURL = (id) => '/api/cameras/' + encodeURIComponent(id);

// ---- The list -------------------------------------------------------------

const table = document.getElementById('cam-table');
if (table) {
  const filter = document.getElementById('cam-filter');
  const noMatch = document.getElementById('cam-no-match');
  const listError = document.getElementById('cam-error');
  const applyFilter = () => {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const row of table.tBodies[0].rows) {
      const ok = words.every((w) => row.dataset.search.includes(w));
      row.hidden = !ok;
      if (ok) shown++;
    }
    noMatch.hidden = shown > 0;
  };
  filter.addEventListener('input', applyFilter);

  // Enable or disable: the API's PUT is a full update, so send back the
  // camera as read with only "enabled" changed (the password is kept).
  table.addEventListener('click', async (ev) => {
    const btn = ev.target.closest('button');
    const row = ev.target.closest('tr[data-camera]');
    if (!btn || !row) return;
    listError.hidden = true;
    if (btn.dataset.toggle) {
      btn.disabled = true;
      try {
        const cam = await api('GET', camURL(row.dataset.camera));
        cam.enabled = btn.dataset.toggle === 'on';
        await api('PUT', camURL(cam.id), cam);
        location.reload();
      } catch (e) {
        listError.textContent = e.message;
        listError.hidden = false;
        btn.disabled = false;
      }
    } else if ('delete' in btn.dataset) {
      confirmDelete(row);
    }
  });

  const dialog = document.getElementById('cam-delete-dialog');
  const text = document.getElementById('cam-delete-text');
  const delError = document.getElementById('cam-delete-error');
  const yes = document.getElementById('cam-delete-yes');
  let pending = null;
  function confirmDelete(row) {
    pending = row;
    text.textContent = tr('camera.delete_q').replace('%s', row.dataset.name).replace('%s', row.dataset.camera);
    delError.hidden = true;
    yes.disabled = false;
    dialog.showModal();
  }
  yes.addEventListener('click', async () => {
    if (!pending) return;
    yes.disabled = true;
    try {
      await api('DELETE', camURL(pending.dataset.camera));
      pending.remove();
      pending = null;
      dialog.close();
      const n = table.tBodies[0].rows.length;
      document.getElementById('cam-count').textContent = `${n} ${tr('camera.count')}`;
    } catch (e) {
      delError.textContent = e.message;
      delError.hidden = false;
      yes.disabled = false;
    }
  });
}

// ---- The form -------------------------------------------------------------

const form = document.getElementById('cam-form');
if (form) {
  const editing = form.dataset.mode === 'edit';
  const formError = document.getElementById('cam-form-error');
  const el = (name) => form.elements.namedItem(name);
  const val = (name) => (el(name)?.value ?? '').trim();
  const num = (name) => { const v = val(name).replace(',', '.'); return v === '' ? 0 : Number(v); };

  // body is the camera as the API takes it. An empty password field means
  // "unchanged" when editing (and "none" when adding): it is left out.
  function body() {
    const b = {
      name: val('name'), area: val('area'), address: val('address'),
      latitude: num('latitude'), longitude: num('longitude'),
      owner: { kind: val('owner.kind'), name: val('owner.name'), contact: val('owner.contact') },
      source: form.querySelector('input[name=source]:checked')?.value || 'pull',
      main_url: val('main_url'), sub_url: val('sub_url'), username: val('username'),
      enabled: el('enabled').checked, record_sub: el('record_sub').checked,
      retain_days: Math.trunc(num('retain_days')), quota_bytes: Math.round(num('quota_gb') * 1e9),
    };
    b.id = editing ? form.dataset.id : val('id');
    const pw = el('password').value;
    if (pw !== '') b.password = pw;
    if (editing) {
      b.tags = val('tags') ? val('tags').split(',') : [];
      b.notes = el('notes')?.value || '';
    }
    return b;
  }

  function clearErrors() {
    formError.hidden = true;
    for (const p of form.querySelectorAll('[data-error]')) { p.hidden = true; p.textContent = ''; }
    for (const i of form.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
  }

  // showErrors puts each field's message under its field; messages for
  // fields the form has no place for go to the box at the bottom.
  function showErrors(e) {
    const rest = [];
    let first = null;
    for (const f of e.fields || []) {
      const key = f.field.startsWith('preset.') ? 'preset' : f.field;
      const p = form.querySelector(`[data-error="${CSS.escape(key)}"]`);
      if (!p) { rest.push(msg(f)); continue; }
      p.textContent = (p.textContent ? p.textContent + ' ' : '') + msg(f);
      p.hidden = false;
      const input = el(f.field === 'quota_bytes' ? 'quota_gb' : f.field);
      if (input?.setAttribute) input.setAttribute('aria-invalid', 'true');
      first ??= p;
    }
    formError.textContent = (e.fields?.length ? tr('camera.fix_fields') : e.message) + (rest.length ? ': ' + rest.join('; ') : '');
    formError.hidden = false;
    (first || formError).scrollIntoView({ block: 'center' });
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors();
    const b = body();
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      if (editing) await api('PUT', camURL(b.id), b);
      else await api('POST', '/api/cameras', b);
      location.href = '/cameras';
    } catch (e) {
      showErrors(e);
      btn.disabled = false;
    }
  });

  // -- brand presets: the API lists each brand's paths for channel 1 --

  const brandSel = document.getElementById('cam-brand');
  let brands = [];
  api('GET', '/api/presets').then((list) => {
    brands = list || [];
    for (const b of brands) brandSel.add(new Option(b.name, b.id));
  }).catch(() => {});

  // forChannel turns a channel-1 path into channel n's: Hikvision numbers
  // streams n01/n02, the Dahua family takes channel=n.
  const forChannel = (path, n) => path.replace(/(\/Channels\/)1(0\d)$/, `$1${n}$2`).replace(/([?&]channel=)1(?=&|$)/, `$1${n}`);

  document.getElementById('cam-fill').addEventListener('click', () => {
    clearErrors();
    const brand = brands.find((b) => b.id === brandSel.value);
    const host = document.getElementById('cam-host').value.trim();
    const port = document.getElementById('cam-port').value.trim() || '554';
    const ch = parseInt(document.getElementById('cam-channel').value, 10) || 1;
    const problems = [];
    if (!brand) problems.push({ field: 'preset.brand', message: tr('camera.f.brand'), message_vi: tr('camera.f.brand') });
    if (!host || /[\s/@]/.test(host)) problems.push({ field: 'preset.host', message: tr('camera.f.host'), message_vi: tr('camera.f.host') });
    if (problems.length) { showErrors({ fields: problems }); return; }
    const base = `rtsp://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
    el('main_url').value = base + forChannel(brand.main_path, ch);
    el('sub_url').value = base + forChannel(brand.sub_path, ch);
    if (!val('username')) el('username').value = 'admin';
  });

  // -- test connection --

  const testBtn = document.getElementById('cam-test');
  const testOut = document.getElementById('cam-test-result');
  testBtn.addEventListener('click', async () => {
    clearErrors();
    testBtn.disabled = true;
    testOut.hidden = false;
    testOut.className = 'cam-test-result';
    testOut.textContent = tr('camera.testing');
    const b = body();
    try {
      const res = await api('POST', '/api/cameras/test', b);
      testOut.replaceChildren();
      const head = document.createElement('p');
      head.textContent = res.ok ? tr('camera.test_ok') : `${tr('camera.test_failed')} ${msg(res.error)}`;
      testOut.append(head);
      const ul = document.createElement('ul');
      for (const s of res.streams) {
        const li = document.createElement('li');
        li.dataset.role = s.role;
        li.className = s.ok ? 'ok' : 'bad';
        const what = s.ok
          ? `${s.codec} ${s.width}×${s.height}${s.fps ? ` · ${s.fps} fps` : ''} · ${s.audio ? `${tr('camera.audio')} ${s.audio}` : tr('camera.no_audio')}`
          : msg(s.error);
        li.textContent = `${tr('camera.stream.' + s.role)}: ${what}`;
        ul.append(li);
      }
      testOut.append(ul);
      testOut.classList.add(res.ok ? 'ok' : 'bad');
    } catch (e) {
      testOut.hidden = true;
      showErrors(e);
    } finally {
      testBtn.disabled = false;
    }
  });
}
