// The analytics rules editor: zones, lines and regions to ignore drawn on
// a recorded picture of the camera, and the rules that use them. It edits
// the API's settings JSON (GET/PUT /api/cameras/{id}/analytics/settings) as
// it is, and shows the server's field errors next to what they name.

import { api, lang, fmtLocal } from '/static/app.js';

const root = document.getElementById('rules-edit');
const texts = JSON.parse(document.getElementById('rules-i18n').textContent);
const choices = JSON.parse(document.getElementById('rules-choices').textContent);
const tr = (key) => texts[key] ?? key;
const camera = root.dataset.camera;
const settingsURL = `/api/cameras/${encodeURIComponent(camera)}/analytics/settings`;
const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';

// Durations travel as Go durations ("3m0s", "90s"); the forms show minutes
// or seconds.
function seconds(d) {
  if (typeof d === 'number') return d;
  let s = 0;
  for (const [, n, unit] of String(d || '').matchAll(/([\d.]+)(h|ms|m|s|µs|us|ns)/g)) {
    s += Number(n) * ({ h: 3600, m: 60, s: 1, ms: 1e-3 }[unit] ?? 0);
  }
  return s;
}
const dur = (sec) => `${Math.round(sec)}s`;

let settings = { zones: [], lines: [], masks: [], rules: {} };
let draft = null; // { what, name, kind, forbidden, points }
let selected = null; // "zones[2]"…
let dirty = false;

// ---- The picture ----------------------------------------------------------

// The latest recorded second of the analysed stream, as a JPEG: drawing on
// what the camera really sees. Opening it is an audited playback.
async function loadPicture() {
  const stream = root.dataset.stream;
  try {
    const r = await api('GET', `/api/cameras/${encodeURIComponent(camera)}/recordings?stream=${stream}`);
    const last = r.spans?.[r.spans.length - 1];
    if (!last) throw new Error('no recording');
    const at = new Date(Math.max(new Date(last.start).getTime(), new Date(last.end).getTime() - 1000));
    const img = $('rules-img');
    img.onload = () => { img.hidden = false; };
    img.onerror = () => { $('rules-no-picture').hidden = false; };
    img.src = `/api/cameras/${encodeURIComponent(camera)}/thumbnail.jpg?stream=${stream}&width=960&at=${encodeURIComponent(at.toISOString())}`;
    const p = $('rules-picture-at');
    p.textContent = `${tr('rules.picture_at')} ${fmtLocal(at)}`;
    p.hidden = false;
  } catch {
    $('rules-no-picture').hidden = false;
  }
}

function el(name, attrs = {}, parent) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  parent?.appendChild(e);
  return e;
}

const pts = (ps) => ps.map((p) => `${p.x},${p.y}`).join(' ');

function label(svg, text, p) {
  const t = el('text', { x: Math.min(p.x + 0.005, 0.9), y: Math.max(p.y - 0.008, 0.035) }, svg);
  t.textContent = text;
}

function drawPicture() {
  const svg = $('rules-svg');
  svg.replaceChildren();
  settings.masks.forEach((m, i) => {
    el('polygon', { points: pts(m.polygon), class: 'mask' + (selected === `masks[${i}]` ? ' selected' : '') }, svg);
    label(svg, m.name, m.polygon[0]);
  });
  settings.zones.forEach((z, i) => {
    el('polygon', { points: pts(z.polygon), class: `k-${z.kind}` + (selected === `zones[${i}]` ? ' selected' : ''), 'data-zone': z.name }, svg);
    label(svg, z.name, z.polygon[0]);
  });
  settings.lines.forEach((l, i) => {
    el('line', { x1: l.a.x, y1: l.a.y, x2: l.b.x, y2: l.b.y, class: 'tripwire' + (selected === `lines[${i}]` ? ' selected' : '') }, svg);
    label(svg, `${l.name} (A→B)`, l.a);
  });
  if (draft && draft.points.length) {
    const shape = draft.what === 'line' ? 'polyline' : (draft.points.length > 2 ? 'polygon' : 'polyline');
    el(shape, { points: pts(draft.points), class: 'draft' }, svg);
    for (const p of draft.points) el('circle', { cx: p.x, cy: p.y, r: 0.006, class: 'draft' }, svg);
  }
}

// ---- Drawing --------------------------------------------------------------

const drawWhat = $('draw-what');
function showDrawFields() {
  for (const l of root.querySelectorAll('.draw-tools [data-for]')) l.hidden = l.dataset.for !== drawWhat.value;
}
drawWhat.addEventListener('change', showDrawFields);

function drawError(text) {
  const p = $('draw-error');
  p.textContent = text || '';
  p.hidden = !text;
}

function setDrawing(on) {
  $('draw-start').hidden = on;
  $('draw-done').hidden = !on || draft?.what === 'line';
  $('draw-cancel').hidden = !on;
  $('draw-hint').hidden = !on;
  drawWhat.disabled = on;
}

const allNames = () => new Set([...settings.zones, ...settings.lines, ...settings.masks].map((x) => x.name));

$('draw-start').addEventListener('click', () => {
  const name = $('draw-name').value.trim();
  if (!name) return drawError(tr('rules.need_name'));
  if (allNames().has(name)) return drawError(tr('rules.name_taken'));
  drawError('');
  draft = { what: drawWhat.value, name, kind: $('draw-kind').value, forbidden: $('draw-dir').value, points: [] };
  $('draw-hint').textContent = tr(draft.what === 'line' ? 'rules.hint.line' : 'rules.hint.zone');
  setDrawing(true);
});

$('draw-cancel').addEventListener('click', () => { draft = null; setDrawing(false); drawPicture(); });

$('draw-done').addEventListener('click', finishDraft);

function finishDraft() {
  if (!draft) return;
  const d = draft;
  if (d.what === 'line') {
    settings.lines.push({ name: d.name, a: d.points[0], b: d.points[1], forbidden: d.forbidden });
  } else {
    if (d.points.length < 3) return drawError(tr('rules.need_points'));
    if (d.what === 'zone') settings.zones.push({ name: d.name, kind: d.kind, polygon: d.points });
    else settings.masks.push({ name: d.name, polygon: d.points });
  }
  draft = null;
  $('draw-name').value = '';
  drawError('');
  setDrawing(false);
  changed();
}

$('rules-svg').addEventListener('click', (ev) => {
  if (!draft) return;
  const box = ev.currentTarget.getBoundingClientRect();
  const clamp = (v) => Math.min(1, Math.max(0, Math.round(v * 1e4) / 1e4));
  draft.points.push({ x: clamp((ev.clientX - box.left) / box.width), y: clamp((ev.clientY - box.top) / box.height) });
  if (draft.what === 'line' && draft.points.length === 2) finishDraft();
  else drawPicture();
});

// ---- Zones, lines, masks --------------------------------------------------

// rename changes a zone's or line's name everywhere rules use it.
function rename(kind, from, to) {
  for (const list of Object.values(settings.rules)) {
    for (const r of list || []) {
      if (kind === 'zones' && r.zone === from) r.zone = to;
      if (kind === 'lines' && r.line === from) r.line = to;
    }
  }
}

function errorSlot(path) {
  const p = document.createElement('p');
  p.className = 'field-error';
  p.dataset.error = path;
  p.hidden = true;
  return p;
}

function renderShapes() {
  for (const kind of ['zones', 'lines', 'masks']) {
    const ul = $(kind.slice(0, -1) + '-list');
    ul.replaceChildren();
    if (!settings[kind].length) {
      const li = document.createElement('li');
      li.className = 'muted';
      li.textContent = tr('rules.empty');
      ul.appendChild(li);
    }
    settings[kind].forEach((item, i) => {
      const path = `${kind}[${i}]`;
      const li = document.createElement('li');
      li.dataset.item = path;
      const name = document.createElement('input');
      name.value = item.name;
      name.setAttribute('aria-label', tr('rules.name'));
      name.addEventListener('focus', () => { selected = path; drawPicture(); });
      name.addEventListener('change', () => {
        const to = name.value.trim();
        if (!to || (to !== item.name && allNames().has(to))) { name.value = item.name; return; }
        rename(kind, item.name, to);
        item.name = to;
        changed();
      });
      li.appendChild(name);
      if (kind !== 'masks') {
        const sel = document.createElement('select');
        const opts = kind === 'zones' ? choices.kinds : choices.directions;
        for (const o of opts) sel.add(new Option(tr((kind === 'zones' ? 'rules.kind.' : 'rules.dir.') + o), o));
        sel.value = kind === 'zones' ? item.kind : item.forbidden;
        sel.addEventListener('change', () => { if (kind === 'zones') item.kind = sel.value; else item.forbidden = sel.value; changed(); });
        li.appendChild(sel);
      }
      const del = document.createElement('button');
      del.type = 'button';
      del.className = 'link';
      del.textContent = tr('rules.delete');
      del.addEventListener('click', () => { settings[kind].splice(i, 1); selected = null; changed(); });
      li.appendChild(del);
      li.appendChild(errorSlot(path));
      ul.appendChild(li);
    });
  }
}

// ---- Rules ----------------------------------------------------------------

// Each rule kind's fields: what the officer sets; the rest keeps the
// server's defaults.
const RULES = {
  loitering: [['zone', 'zone'], ['min_stay', 'minutes', 3], ['during', 'during'], ['severity', 'severity']],
  riders: [['zone', 'zone'], ['min_riders', 'int', 3], ['min_frames', 'int', 5], ['severity', 'severity']],
  parking: [['zone', 'zone', 'no_parking'], ['min_stay', 'minutes', 5, 'rules.f.park_stay'], ['during', 'during'], ['severity', 'severity']],
  crowd: [['zone', 'zone'], ['more_than', 'int', 10], ['for', 'seconds', 10], ['during', 'during'], ['severity', 'severity']],
  line_crossing: [['line', 'line'], ['during', 'during'], ['severity', 'severity']],
  dumping: [['zone', 'zone', 'no_dumping'], ['min_persist', 'seconds', 30, 'rules.f.left_for'], ['recent', 'seconds', 20], ['during', 'during'], ['severity', 'severity']],
  // A lapse is about the night: with no hours chosen the server takes
  // 22:00–05:00, so "always" is not offered.
  lapse: [['zone', 'zone', 'gate'], ['min_persist', 'minutes', 2, 'rules.f.open_for'], ['during', 'during', 'night'], ['severity', 'severity']],
};

const NIGHT = { name: 'night', from: '22:00', to: '05:00' };
const NOON = { name: 'noon', from: '11:30', to: '13:30' };
const same = (a, b) => a.from === b.from && a.to === b.to && !(a.days?.length);

function whenOf(during) {
  if (!during?.length) return 'always';
  if (during.length === 1 && same(during[0], NIGHT)) return 'night';
  if (during.length === 1 && same(during[0], NOON)) return 'noon';
  if (during.length === 2 && same(during[0], NIGHT) && same(during[1], NOON)) return 'both';
  return 'custom';
}

function label2(text, input) {
  const l = document.createElement('label');
  l.append(text, input);
  return l;
}

function numberInput(value, step, onChange) {
  const i = document.createElement('input');
  i.type = 'number';
  i.min = '0';
  i.step = step;
  i.value = value;
  i.addEventListener('change', () => onChange(i.value === '' ? 0 : Number(i.value)));
  return i;
}

function fieldFor(rule, [key, type, arg, labelKey]) {
  const text = tr(labelKey || 'rules.f.' + key);
  switch (type) {
    case 'zone': {
      const sel = document.createElement('select');
      sel.add(new Option(tr(arg ? 'rules.f.any_zone' : 'rules.f.whole'), ''));
      for (const z of settings.zones) if (!arg || z.kind === arg) sel.add(new Option(z.name, z.name));
      if (rule.zone && ![...sel.options].some((o) => o.value === rule.zone)) sel.add(new Option(rule.zone, rule.zone));
      sel.value = rule.zone || '';
      sel.addEventListener('change', () => { rule.zone = sel.value; changed(false); });
      return label2(tr('rules.f.zone'), sel);
    }
    case 'line': {
      const sel = document.createElement('select');
      sel.add(new Option(tr('rules.choose'), ''));
      for (const l of settings.lines) sel.add(new Option(l.name, l.name));
      if (rule.line && ![...sel.options].some((o) => o.value === rule.line)) sel.add(new Option(rule.line, rule.line));
      sel.value = rule.line || '';
      sel.addEventListener('change', () => { rule.line = sel.value; changed(false); });
      return label2(text, sel);
    }
    case 'int':
      return label2(text, numberInput(rule[key] || arg, '1', (v) => { rule[key] = Math.round(v); changed(false); }));
    case 'minutes':
      return label2(text, numberInput(rule[key] ? seconds(rule[key]) / 60 : arg, 'any', (v) => { rule[key] = dur(v * 60); changed(false); }));
    case 'seconds':
      return label2(text, numberInput(rule[key] ? seconds(rule[key]) : arg, 'any', (v) => { rule[key] = dur(v); changed(false); }));
    case 'severity': {
      const sel = document.createElement('select');
      sel.add(new Option(tr('rules.sev.'), ''));
      for (const s of choices.severities) sel.add(new Option(tr('rules.sev.' + s), s));
      sel.value = rule.severity || '';
      sel.addEventListener('change', () => { rule.severity = sel.value || undefined; changed(false); });
      return label2(text, sel);
    }
    case 'during': {
      const wrap = document.createElement('span');
      wrap.className = 'fields';
      const sel = document.createElement('select');
      for (const w of ['always', 'night', 'noon', 'both', 'custom']) if (!(arg === 'night' && w === 'always')) sel.add(new Option(tr('rules.when.' + w), w));
      sel.value = whenOf(rule.during);
      const from = document.createElement('input');
      const to = document.createElement('input');
      // Text, not type=time: the browser's own clock format may be 12-hour.
      for (const i of [from, to]) { i.className = 'clock'; i.placeholder = 'HH:MM'; i.inputMode = 'numeric'; i.pattern = '[0-2]?[0-9]:[0-5][0-9]'; }
      const custom = rule.during?.[0] || { from: '22:00', to: '05:00' };
      from.value = custom.from;
      to.value = custom.to;
      const fromL = label2(tr('rules.f.from'), from);
      const toL = label2(tr('rules.f.to'), to);
      const apply = () => {
        const w = sel.value;
        fromL.hidden = toL.hidden = w !== 'custom';
        rule.during = { always: [], night: [NIGHT], noon: [NOON], both: [NIGHT, NOON] }[w] ??
          [{ name: 'custom', from: from.value || '00:00', to: to.value || '00:00' }];
      };
      sel.addEventListener('change', () => { apply(); changed(false); });
      from.addEventListener('change', () => { apply(); changed(false); });
      to.addEventListener('change', () => { apply(); changed(false); });
      fromL.hidden = toL.hidden = sel.value !== 'custom';
      wrap.append(label2(text, sel), fromL, toL);
      return wrap;
    }
  }
}

// A new rule starts with the values its form shows.
function newRule(type) {
  const r = {};
  for (const [key, kind, arg] of RULES[type]) {
    if (kind === 'int') r[key] = arg;
    if (kind === 'minutes') r[key] = dur(arg * 60);
    if (kind === 'seconds') r[key] = dur(arg);
    if (kind === 'zone') r.zone = '';
    if (kind === 'line') r.line = settings.lines[0]?.name || '';
    if (kind === 'during' && arg === 'night') r.during = [NIGHT];
  }
  return r;
}

function renderRules() {
  const box = $('rule-list');
  box.replaceChildren();
  for (const type of Object.keys(RULES)) {
    (settings.rules[type] || []).forEach((rule, i) => {
      const path = `rules.${type}[${i}]`;
      const card = document.createElement('div');
      card.className = 'rule-card';
      card.dataset.item = path;
      const head = document.createElement('header');
      head.append(tr('rules.type.' + type));
      const del = document.createElement('button');
      del.type = 'button';
      del.className = 'link';
      del.textContent = tr('rules.delete');
      del.addEventListener('click', () => { settings.rules[type].splice(i, 1); changed(); });
      head.appendChild(del);
      const fields = document.createElement('div');
      fields.className = 'fields';
      for (const f of RULES[type]) fields.appendChild(fieldFor(rule, f));
      card.append(head, fields, errorSlot(path));
      box.appendChild(card);
    });
  }
}

$('rule-add').addEventListener('change', (ev) => {
  const type = ev.target.value;
  if (!type) return;
  (settings.rules[type] ||= []).push(newRule(type));
  ev.target.value = '';
  changed();
});

// ---- Saving ---------------------------------------------------------------

function changed(rerender = true) {
  dirty = true;
  $('rules-status').textContent = tr('rules.unsaved');
  clearErrors();
  if (rerender) render();
}

function render() {
  renderShapes();
  renderRules();
  drawPicture();
}

function clearErrors() {
  for (const p of root.querySelectorAll('.field-error[data-error]')) { p.hidden = true; p.textContent = ''; }
  $('rules-error').hidden = true;
}

// showErrors puts each field error under the item its path starts with
// ("zones[0].kind" under zones[0]), or under the Save button.
function showErrors(err) {
  const slots = [...root.querySelectorAll('.field-error[data-error]')];
  const rest = [];
  for (const f of err.fields || []) {
    const text = lang === 'vi' ? (f.message_vi || f.message) : f.message;
    const slot = slots.filter((s) => f.field === s.dataset.error || f.field.startsWith(s.dataset.error + '.'))
      .sort((a, b) => b.dataset.error.length - a.dataset.error.length)[0];
    if (!slot) { rest.push(text); continue; }
    slot.textContent = slot.textContent ? `${slot.textContent}; ${text}` : text;
    slot.hidden = false;
  }
  const p = $('rules-error');
  p.textContent = [err.fields?.length ? tr('rules.fix') : err.message, ...rest].join(' · ');
  p.hidden = false;
}

function loaded(r) {
  settings = r.settings;
  for (const k of ['zones', 'lines', 'masks']) settings[k] ||= [];
  settings.rules ||= {};
  const ul = $('rules-described');
  ul.replaceChildren();
  for (const d of r.described || []) {
    const li = document.createElement('li');
    li.textContent = lang === 'vi' ? d.vi : d.en;
    ul.appendChild(li);
  }
  dirty = false;
  render();
}

$('rules-save').addEventListener('click', async () => {
  const btn = $('rules-save');
  btn.disabled = true;
  clearErrors();
  try {
    loaded(await api('PUT', settingsURL, settings));
    $('rules-status').textContent = tr('rules.saved');
  } catch (e) {
    showErrors(e);
    $('rules-status').textContent = '';
  } finally {
    btn.disabled = false;
  }
});

$('rules-reset').addEventListener('click', async () => {
  if (!confirm(tr('rules.reset_q'))) return;
  try {
    loaded(await api('DELETE', settingsURL));
    $('rules-status').textContent = tr('rules.saved');
  } catch (e) {
    showErrors(e);
  }
});

window.addEventListener('beforeunload', (ev) => { if (dirty) ev.preventDefault(); });

showDrawFields();
loadPicture();
api('GET', settingsURL).then(loaded, showErrors);
