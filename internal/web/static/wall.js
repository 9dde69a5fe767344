// The video wall: a grid of live tiles in pages, groups, saved layouts,
// rotation, and one camera enlarged on double-click.

import { api, csrf } from '/static/app.js';
import { Tile, tr, hasSub } from '/static/tile.js';

const data = JSON.parse(document.getElementById('wall-data').textContent);
let cameras = data.cameras || [];
let byId = new Map(cameras.map((c) => [c.id, c]));
let layouts = data.layouts || [];

const $ = (id) => document.getElementById(id);
const grid = $('wall-grid');
const groupSel = $('wall-group');
const rotationSel = $('wall-rotation');
const SIZES = [1, 4, 9, 16, 25];

// The wall remembers its view in the browser, so a reload of the post's
// screen comes back as it was.
const saved = (() => { try { return JSON.parse(localStorage.getItem('matthan.wall') || '{}'); } catch { return {}; } })();
const view = {
  size: SIZES.includes(saved.size) ? saved.size : 4,
  group: saved.group || 'all',
  rotation: [0, 10, 30, 60].includes(saved.rotation) ? saved.rotation : 0,
  page: 0,
  enlarged: new URLSearchParams(location.search).get('camera'),
};
function remember() {
  try { localStorage.setItem('matthan.wall', JSON.stringify({ size: view.size, group: view.group, rotation: view.rotation })); } catch { /* private mode */ }
}

// camerasOf lists the cameras of the chosen group, in wall order.
function camerasOf(group) {
  if (group.startsWith('layout:')) {
    const l = layouts.find((x) => 'layout:' + x.id === group);
    return l ? l.cameras.map((id) => byId.get(id)).filter(Boolean) : [];
  }
  const on = cameras.filter((c) => c.enabled);
  if (group === 'public') return on.filter((c) => c.owner?.kind === 'ward');
  if (group === 'contributed') return on.filter((c) => c.owner?.kind !== 'ward');
  if (group.startsWith('area:')) return on.filter((c) => c.area === group.slice(5));
  return on;
}

const tiles = new Map(); // key (camera/stream) → Tile on screen

function pages() { return Math.max(1, Math.ceil(camerasOf(view.group).length / view.size)); }

// render puts the current page (or the enlarged camera) on screen. Tiles
// that stay keep playing; players of tiles that left are stopped.
function render() {
  let want; // [{cam, stream}]
  const enlargedCam = view.enlarged && byId.get(view.enlarged);
  if (enlargedCam) {
    want = [{ cam: enlargedCam, stream: 'main' }];
  } else {
    view.enlarged = null;
    const list = camerasOf(view.group);
    view.page = Math.min(view.page, pages() - 1);
    want = list.slice(view.page * view.size, (view.page + 1) * view.size)
      .map((cam) => ({ cam, stream: hasSub(cam) ? 'sub' : 'main' }));
  }
  const keep = new Map();
  for (const w of want) {
    const k = w.cam.id + '/' + w.stream;
    const tile = tiles.get(k) || new Tile(w.cam, w.stream, csrf);
    keep.set(k, tile);
  }
  for (const [k, tile] of tiles) if (keep.get(k) !== tile) tile.close();
  tiles.clear();
  const cols = enlargedCam ? 1 : Math.sqrt(view.size);
  grid.style.setProperty('--cols', cols);
  grid.classList.toggle('enlarged', !!enlargedCam);
  const nodes = [...keep.values()].map((t) => t.el);
  for (let i = nodes.length; i < (enlargedCam ? 1 : view.size); i++) {
    const blank = document.createElement('div');
    blank.className = 'tile blank';
    nodes.push(blank);
  }
  grid.replaceChildren(...nodes);
  for (const [k, t] of keep) tiles.set(k, t);

  $('wall-empty').hidden = want.length > 0;
  $('wall-page').textContent = `${tr('wall.page')} ${view.page + 1}/${pages()}`;
  $('wall-pager').hidden = !!enlargedCam || pages() < 2;
  $('wall-back').hidden = !enlargedCam;
  for (const b of document.querySelectorAll('[data-size]')) b.setAttribute('aria-pressed', String(+b.dataset.size === view.size));
  groupSel.value = view.group;
  if (groupSel.value !== view.group) { view.group = 'all'; groupSel.value = 'all'; }
  rotationSel.value = String(view.rotation);
  const editBtn = $('wall-edit');
  if (editBtn) editBtn.hidden = !view.group.startsWith('layout:');
  const url = new URL(location.href);
  if (enlargedCam) url.searchParams.set('camera', enlargedCam.id); else url.searchParams.delete('camera');
  if (url.href !== location.href) history.replaceState(null, '', url);
  fit();
}

// fit sizes the grid so that every tile is 16:9 and the whole wall fits
// the screen without scrolling; a phone gets one column and scrolls.
function fit() {
  if (window.matchMedia('(max-width: 700px)').matches) { grid.style.width = ''; return; }
  const n = grid.classList.contains('enlarged') ? 1 : Math.sqrt(view.size);
  const gap = 4;
  const top = grid.getBoundingClientRect().top + window.scrollY;
  const availH = Math.max(120, window.innerHeight - top - 14); // main's bottom padding
  const tileH = (availH - (n - 1) * gap) / n;
  const w = n * tileH * 16 / 9 + (n - 1) * gap;
  grid.style.width = Math.min(grid.parentElement.clientWidth, Math.floor(w)) + 'px';
}
window.addEventListener('resize', fit);
// The alert banner and the toolbar above the grid grow and shrink as
// cameras go down and come back: the grid follows.
const above = new ResizeObserver(() => fit());
for (const el of [document.getElementById('alerts'), document.getElementById('wall-bar')]) if (el) above.observe(el);

function enlarge(id) { view.enlarged = id; render(); restartRotation(); }
function shrink() { if (view.enlarged) { view.enlarged = null; render(); restartRotation(); } }

grid.addEventListener('dblclick', (ev) => {
  const el = ev.target.closest('.tile[data-camera]');
  if (!el) return;
  if (view.enlarged) shrink(); else enlarge(el.dataset.camera);
});
document.addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape' && !$('layout-dialog').open) shrink();
  if (ev.target.matches?.('input, select, textarea')) return;
  if (ev.key === 'PageDown' || ev.key === 'ArrowRight') turn(1);
  if (ev.key === 'PageUp' || ev.key === 'ArrowLeft') turn(-1);
});
$('wall-back').addEventListener('click', shrink);

function turn(step) {
  if (view.enlarged) return;
  view.page = (view.page + step + pages()) % pages();
  render();
}
$('wall-prev').addEventListener('click', () => { turn(-1); restartRotation(); });
$('wall-next').addEventListener('click', () => { turn(1); restartRotation(); });

for (const b of document.querySelectorAll('[data-size]')) {
  b.addEventListener('click', () => { view.size = +b.dataset.size; view.page = 0; view.enlarged = null; remember(); render(); });
}
groupSel.addEventListener('change', () => {
  view.group = groupSel.value;
  view.page = 0;
  view.enlarged = null;
  const l = layouts.find((x) => 'layout:' + x.id === view.group);
  if (l) { view.size = l.size; view.rotation = l.rotation; restartRotation(); }
  remember();
  render();
});
rotationSel.addEventListener('change', () => { view.rotation = +rotationSel.value; remember(); restartRotation(); });

// Rotation turns the page every so many seconds, except while a camera is
// enlarged.
let rotationTimer = null;
function restartRotation() {
  clearInterval(rotationTimer);
  rotationTimer = null;
  if (view.rotation > 0 && !view.enlarged) rotationTimer = setInterval(() => { if (pages() > 1) turn(1); }, view.rotation * 1000);
}

// Health changes from the banner's stream update tiles at once; the API
// is asked every 10 s as well, for figures and for cameras added meanwhile.
document.addEventListener('matthan:health', (ev) => {
  const a = ev.detail;
  for (const t of tiles.values()) if (t.cam.id === a.camera_id) t.alert(a);
});

async function refresh() {
  try {
    const fresh = await api('GET', '/api/cameras');
    const before = camerasOf(view.group).map((c) => c.id).join();
    cameras = fresh;
    byId = new Map(cameras.map((c) => [c.id, c]));
    if (camerasOf(view.group).map((c) => c.id).join() !== before) { render(); return; }
    for (const t of tiles.values()) { const c = byId.get(t.cam.id); if (c) t.update(c); }
  } catch { /* the banner shows when the server is away; try again later */ }
}
setInterval(refresh, 10000);

// Saved layouts: a dialog to name one, choose its cameras and their order.
function fillSaved() {
  const og = $('wall-saved');
  og.replaceChildren(...layouts.map((l) => { const o = document.createElement('option'); o.value = 'layout:' + l.id; o.textContent = l.name; return o; }));
  og.hidden = layouts.length === 0;
}

const dialog = $('layout-dialog');
const form = $('layout-form');
let editing = null; // the layout being edited, or null for a new one

function camRow(cam, checked) {
  const li = document.createElement('li');
  li.dataset.id = cam.id;
  li.innerHTML = '<label><input type="checkbox"> <span></span></label> <button type="button" data-move="-1">↑</button> <button type="button" data-move="1">↓</button>';
  li.querySelector('input').checked = checked;
  li.querySelector('span').textContent = `${cam.name} (${cam.id})`;
  li.querySelector('[data-move="-1"]').title = tr('wall.up');
  li.querySelector('[data-move="1"]').title = tr('wall.down');
  return li;
}
$('layout-cams').addEventListener('click', (ev) => {
  const b = ev.target.closest('[data-move]');
  if (!b) return;
  const li = b.closest('li');
  if (b.dataset.move === '-1' && li.previousElementSibling) li.parentElement.insertBefore(li, li.previousElementSibling);
  if (b.dataset.move === '1' && li.nextElementSibling) li.parentElement.insertBefore(li.nextElementSibling, li);
});

function openDialog(layout) {
  editing = layout;
  $('layout-title').textContent = tr(layout ? 'wall.dialog.edit' : 'wall.dialog.new');
  form.elements.name.value = layout ? layout.name : '';
  form.elements.size.value = String(layout ? layout.size : view.size);
  form.elements.rotation.value = String(layout ? layout.rotation : view.rotation);
  const chosen = layout ? layout.cameras.map((id) => byId.get(id)).filter(Boolean) : camerasOf(view.group);
  const rest = cameras.filter((c) => !chosen.includes(c));
  $('layout-cams').replaceChildren(...chosen.map((c) => camRow(c, true)), ...rest.map((c) => camRow(c, false)));
  $('layout-error').hidden = true;
  const del = $('layout-delete');
  del.hidden = !layout;
  del.textContent = tr('wall.delete');
  del.dataset.armed = '';
  dialog.showModal();
}
$('wall-new')?.addEventListener('click', () => openDialog(null));
$('wall-edit')?.addEventListener('click', () => openDialog(layouts.find((x) => 'layout:' + x.id === view.group) || null));
$('layout-cancel').addEventListener('click', () => dialog.close());

function note(text) {
  const n = $('wall-note');
  n.textContent = text;
  setTimeout(() => { if (n.textContent === text) n.textContent = ''; }, 4000);
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const body = {
    name: form.elements.name.value,
    size: +form.elements.size.value,
    rotation: +form.elements.rotation.value,
    cameras: [...$('layout-cams').children].filter((li) => li.querySelector('input').checked).map((li) => li.dataset.id),
  };
  try {
    const l = editing ? await api('PUT', '/ui/layouts/' + editing.id, body) : await api('POST', '/ui/layouts', body);
    layouts = layouts.filter((x) => x.id !== l.id).concat([l]).sort((a, b) => a.name.localeCompare(b.name));
    fillSaved();
    view.group = 'layout:' + l.id;
    view.size = l.size;
    view.rotation = l.rotation;
    view.page = 0;
    view.enlarged = null;
    remember();
    dialog.close();
    render();
    restartRotation();
    note(tr('wall.saved'));
  } catch (e) {
    $('layout-error').textContent = e.message;
    $('layout-error').hidden = false;
  }
});

// Deleting asks for a second click rather than a browser dialog.
$('layout-delete').addEventListener('click', async () => {
  const del = $('layout-delete');
  if (!del.dataset.armed) { del.dataset.armed = '1'; del.textContent = tr('wall.confirm'); return; }
  try {
    await api('DELETE', '/ui/layouts/' + editing.id);
    layouts = layouts.filter((x) => x.id !== editing.id);
    fillSaved();
    view.group = 'all';
    remember();
    dialog.close();
    render();
    note(tr('wall.deleted'));
  } catch (e) {
    $('layout-error').textContent = e.message;
    $('layout-error').hidden = false;
  }
});

fillSaved();
render();
restartRotation();
