// The privacy-mask editor: polygons drawn on a picture of the camera, in
// fractions of its width and height, saved with PUT …/privacy-masks.

import { api, lang, fmtLocal } from '/static/app.js';

const root = document.getElementById('priv');
const texts = JSON.parse(document.getElementById('priv-i18n').textContent);
const tr = (key) => texts[key] ?? key;
const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';
const camera = root.dataset.camera;

let masks = JSON.parse($('priv-masks').textContent) || [];
let draft = null; // corners being drawn
let dirty = false;

// The picture: the owner's still of their own camera, or for the police
// the latest recorded second (a thumbnail, itself masked and audited).
async function loadPicture() {
  const img = $('priv-img');
  img.onload = () => { img.hidden = false; };
  img.onerror = () => { $('priv-no-picture').hidden = false; };
  if (root.dataset.still) { img.src = root.dataset.still; return; }
  try {
    const r = await api('GET', `/api/cameras/${encodeURIComponent(camera)}/recordings`);
    const last = r.spans?.[r.spans.length - 1];
    if (!last) throw new Error('no recording');
    const at = new Date(Math.max(new Date(last.start).getTime(), new Date(last.end).getTime() - 1000));
    img.src = `/api/cameras/${encodeURIComponent(camera)}/thumbnail.jpg?width=960&at=${encodeURIComponent(at.toISOString())}`;
    const p = $('priv-picture-at');
    p.textContent = `${tr('priv.picture_at')} ${fmtLocal(at)}`;
    p.hidden = false;
  } catch {
    $('priv-no-picture').hidden = false;
  }
}

function el(name, attrs, parent) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  parent.appendChild(e);
  return e;
}
const pts = (ps) => ps.map((p) => `${p.x},${p.y}`).join(' ');

function draw() {
  const svg = $('priv-svg');
  svg.replaceChildren();
  masks.forEach((m, i) => el('polygon', { points: pts(m.polygon), class: 'mask', 'data-mask': i }, svg));
  if (draft) {
    el(draft.length > 2 ? 'polygon' : 'polyline', { points: pts(draft), class: 'draft' }, svg);
    for (const p of draft) el('circle', { cx: p.x, cy: p.y, r: 0.006, class: 'draft' }, svg);
  }
  const list = $('priv-list');
  list.replaceChildren(...masks.map((m, i) => {
    const li = document.createElement('li');
    li.dataset.mask = i;
    const name = document.createElement('input');
    name.value = m.name;
    name.maxLength = 100;
    name.setAttribute('aria-label', tr('priv.name'));
    name.addEventListener('input', () => { m.name = name.value; changed(); });
    const n = document.createElement('span');
    n.className = 'muted';
    n.textContent = `${m.polygon.length} ${tr('priv.corners')}`;
    const rm = document.createElement('button');
    rm.type = 'button';
    rm.textContent = tr('priv.remove');
    rm.addEventListener('click', () => { masks.splice(i, 1); changed(); draw(); });
    li.append(name, n, rm);
    return li;
  }));
  $('priv-none').hidden = masks.length > 0;
  root.dataset.masks = String(masks.length);
}

function changed() {
  dirty = true;
  $('priv-status').textContent = tr('priv.unsaved');
}

function drawing(on) {
  $('priv-draw').hidden = on;
  $('priv-done').hidden = !on;
  $('priv-cancel').hidden = !on;
  $('priv-draw-error').hidden = true;
}

$('priv-draw').addEventListener('click', () => { draft = []; drawing(true); draw(); });
$('priv-cancel').addEventListener('click', () => { draft = null; drawing(false); draw(); });
$('priv-done').addEventListener('click', () => {
  if (!draft || draft.length < 3) {
    $('priv-draw-error').textContent = tr('priv.need3');
    $('priv-draw-error').hidden = false;
    return;
  }
  masks.push({ name: $('priv-name').value.trim() || `${tr('priv.name_def')} ${masks.length + 1}`, polygon: draft });
  draft = null;
  $('priv-name').value = '';
  drawing(false);
  changed();
  draw();
});
$('priv-svg').addEventListener('click', (ev) => {
  if (!draft) return;
  const r = ev.currentTarget.getBoundingClientRect();
  const clamp = (v) => Math.round(Math.min(1, Math.max(0, v)) * 10000) / 10000;
  draft.push({ x: clamp((ev.clientX - r.left) / r.width), y: clamp((ev.clientY - r.top) / r.height) });
  draw();
});

$('priv-save').addEventListener('click', async () => {
  const err = $('priv-error');
  err.hidden = true;
  try {
    const cam = await api('PUT', root.dataset.save, { masks });
    masks = cam.privacy_masks || [];
    dirty = false;
    $('priv-status').textContent = tr('priv.saved');
    draw();
  } catch (e) {
    const fields = (e.fields || []).map((f) => (lang === 'vi' ? f.message_vi || f.message : f.message));
    err.textContent = [e.message, ...fields].join(': ');
    err.hidden = false;
  }
});
window.addEventListener('beforeunload', (ev) => { if (dirty) ev.preventDefault(); });

loadPicture();
draw();
