// The camera map: a small Web-Mercator slippy map (drag to pan, wheel or
// buttons to zoom), cameras as coloured markers, area outlines, filters,
// and a popup with live video. With no tile server, or when its tiles fail,
// the map is drawn on a plain background: the cameras and the outlines of
// their areas are all a post needs to find a camera.

import { api, csrf, lang, fmtLocal } from '/static/app.js';
import { Tile, tr, DOWN, streamOf, reasonOf } from '/static/tile.js';
import { project, placed, hull } from '/static/geo.js';

const $ = (id) => document.getElementById(id);
const data = JSON.parse($('map-data').textContent);
let cameras = data.cameras || [];

const TILE = 256;
const MIN_Z = 2;
const MAX_Z = 19;
const mapEl = $('map');
const tilesEl = mapEl.querySelector('.map-tiles');
const svg = mapEl.querySelector('.map-shapes');
const markersEl = mapEl.querySelector('.map-markers');
const SVG = 'http://www.w3.org/2000/svg';

const view = { z: 15, cx: 0, cy: 0 }; // centre in world pixels at zoom z
let W = 0;
let H = 0;

function screen(cam) {
  const [x, y] = project(cam.latitude, cam.longitude, view.z);
  return [x - view.cx + W / 2, y - view.cy + H / 2];
}

// A camera at 0,0 or out of range has no known place.

function size() {
  const top = mapEl.getBoundingClientRect().top + window.scrollY;
  const h = window.matchMedia('(max-width: 700px)').matches ? Math.round(window.innerHeight * 0.7) : window.innerHeight - top - 12;
  mapEl.style.height = Math.max(300, h) + 'px';
  W = mapEl.clientWidth;
  H = mapEl.clientHeight;
}

// fit chooses the largest zoom that shows every placed camera.
function fit() {
  const pts = cameras.filter(placed).map((c) => project(c.latitude, c.longitude, 0));
  if (pts.length === 0) { // Vietnam as a whole
    view.z = 5;
    [view.cx, view.cy] = project(16, 106, 5);
    return;
  }
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  let z = pts.length === 1 ? 17 : 18; // street level, within every tile server's range
  while (z > MIN_Z && ((x1 - x0) * 2 ** z > W - 120 || (y1 - y0) * 2 ** z > H - 120)) z--;
  view.z = z;
  view.cx = (x0 + x1) / 2 * 2 ** z;
  view.cy = (y0 + y1) / 2 * 2 ** z;
}

// Tiles: the configured server's, until one fails before any loaded; then
// the plain background for good (a post with no internet gets every tile
// failing, and must not see a broken map).
let tilesFailed = false;
let tilesLoaded = 0;
const tileImgs = new Map(); // z/x/y → img

function tileURL(z, x, y) {
  return data.tile_url.replaceAll('{z}', z).replaceAll('{x}', x).replaceAll('{y}', y).replaceAll('{s}', 'abc'[(x + y) % 3]);
}

function plain(why) {
  mapEl.classList.add('plain');
  tilesEl.replaceChildren();
  tileImgs.clear();
  $('map-note').textContent = tr(why);
}

function drawTiles() {
  if (!data.tile_url || tilesFailed) return;
  const n = 2 ** view.z;
  const x0 = Math.floor((view.cx - W / 2) / TILE);
  const x1 = Math.floor((view.cx + W / 2) / TILE);
  const y0 = Math.max(0, Math.floor((view.cy - H / 2) / TILE));
  const y1 = Math.min(n - 1, Math.floor((view.cy + H / 2) / TILE));
  const want = new Set();
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const key = `${view.z}/${x}/${y}`;
      want.add(key);
      let img = tileImgs.get(key);
      if (!img) {
        img = document.createElement('img');
        img.alt = '';
        img.draggable = false;
        img.onload = () => { tilesLoaded++; };
        img.onerror = () => {
          if (tilesLoaded === 0) { tilesFailed = true; plain('map.tiles_failed'); } else img.style.visibility = 'hidden';
        };
        img.src = tileURL(view.z, ((x % n) + n) % n, y);
        tileImgs.set(key, img);
        tilesEl.append(img);
      }
      img.style.left = (x * TILE - view.cx + W / 2) + 'px';
      img.style.top = (y * TILE - view.cy + H / 2) + 'px';
    }
  }
  for (const [key, img] of tileImgs) if (!want.has(key)) { img.remove(); tileImgs.delete(key); }
}

// Each area's outline is the hull of its cameras with a margin: every
// camera is widened to a small circle first, so one or two cameras still
// make an outline.
const PAD = 26;
function drawShapes() {
  const areas = new Map();
  for (const c of cameras) {
    if (!placed(c) || !c.area) continue;
    if (!areas.has(c.area)) areas.set(c.area, []);
    areas.get(c.area).push(screen(c));
  }
  const nodes = [];
  for (const [area, pts] of areas) {
    const ring = [];
    for (const [x, y] of pts) for (let i = 0; i < 12; i++) ring.push([x + PAD * Math.cos(i * Math.PI / 6), y + PAD * Math.sin(i * Math.PI / 6)]);
    const h = hull(ring);
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', 'M' + h.map((q) => q[0].toFixed(1) + ',' + q[1].toFixed(1)).join('L') + 'Z');
    path.setAttribute('class', 'area-outline');
    path.dataset.area = area;
    const label = document.createElementNS(SVG, 'text');
    const top = h.reduce((a, b) => (b[1] < a[1] ? b : a));
    label.setAttribute('x', (h.reduce((s, q) => s + q[0], 0) / h.length).toFixed(1));
    label.setAttribute('y', (top[1] - 6).toFixed(1));
    label.setAttribute('class', 'area-label');
    label.textContent = area;
    nodes.push(path, label);
  }
  svg.replaceChildren(...nodes);
}

// Markers: one button per placed camera, coloured by its main stream.
const markers = new Map(); // camera ID → button
const filters = $('map-filters');

function shown(c) {
  const f = filters.elements;
  const st = streamOf(c, 'main').state;
  if (f.area.value && c.area !== f.area.value) return false;
  if (f.owner.value === 'public' && c.owner?.kind !== 'ward') return false;
  if (f.owner.value === 'contributed' && c.owner?.kind === 'ward') return false;
  const status = f.status.value;
  if (status === 'down' && !DOWN.has(st)) return false;
  if (status && status !== 'down' && st !== status) return false;
  return true;
}

function drawMarkers() {
  const seen = new Set();
  let count = 0;
  for (const c of cameras) {
    if (!placed(c)) continue;
    seen.add(c.id);
    let m = markers.get(c.id);
    if (!m) {
      m = document.createElement('button');
      m.type = 'button';
      m.className = 'marker';
      m.dataset.camera = c.id;
      m.addEventListener('click', (ev) => { ev.stopPropagation(); openPopup(m.dataset.camera); });
      markersEl.append(m);
      markers.set(c.id, m);
    }
    const st = streamOf(c, 'main');
    m.dataset.state = st.state;
    m.className = 'marker state-' + (DOWN.has(st.state) ? 'down' : st.state);
    m.title = `${c.name} · ${tr('wall.state.' + st.state)}`;
    m.setAttribute('aria-label', m.title);
    const [x, y] = screen(c);
    m.style.left = x + 'px';
    m.style.top = y + 'px';
    m.hidden = !shown(c);
    if (!m.hidden) count++;
  }
  for (const [id, m] of markers) if (!seen.has(id)) { m.remove(); markers.delete(id); }
  $('map-count').textContent = String(count);
  const unplaced = cameras.filter((c) => !placed(c));
  $('map-unplaced').hidden = unplaced.length === 0;
  $('map-unplaced').querySelector('span').textContent = unplaced.map((c) => c.name).join(', ');
}

let frame = 0;
function draw() {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    drawTiles();
    drawShapes();
    drawMarkers();
    placePopup();
  });
}

// The popup shows one camera: its state and, unless it is down, its live
// sub-stream.
const popup = $('map-popup');
let popupCam = null;
let popupTile = null;

function openPopup(id) {
  closePopup();
  const cam = cameras.find((c) => c.id === id);
  if (!cam) return;
  popupCam = id;
  popup.hidden = false;
  popup.dataset.camera = id;
  $('map-popup-wall').href = '/?camera=' + encodeURIComponent(id);
  const pb = $('map-popup-playback');
  if (pb) pb.href = '/playback?camera=' + encodeURIComponent(id);
  popupTile = new Tile(cam, cam.streams?.some((s) => s.role === 'sub') ? 'sub' : 'main', csrf);
  $('map-popup-video').replaceChildren(popupTile.el);
  fillPopup(cam);
  placePopup();
}

function fillPopup(cam) {
  $('map-popup-name').textContent = cam.name || cam.id;
  $('map-popup-where').textContent = [cam.area, cam.address, cam.owner?.name].filter(Boolean).join(' · ');
  const st = streamOf(cam, 'main');
  const since = st.since_local || (st.since ? new Date(st.since) : null);
  const stateEl = $('map-popup-state');
  stateEl.replaceChildren();
  const dot = document.createElement('span');
  dot.className = 'state ' + st.state;
  dot.textContent = tr('wall.state.' + st.state);
  stateEl.append(dot);
  if (DOWN.has(st.state)) {
    const sinceText = typeof since === 'string' ? since : (since ? fmtLocal(since) : '');
    stateEl.append(` ${sinceText ? tr('wall.since') + ' ' + sinceText : ''} ${reasonOf(st) ? '· ' + reasonOf(st) : ''}`);
  }
  popupTile?.update(cam);
}

function closePopup() {
  popupTile?.close();
  popupTile = null;
  popupCam = null;
  popup.hidden = true;
}
$('map-close').addEventListener('click', closePopup);
document.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') closePopup(); });

function placePopup() {
  if (!popupCam) return;
  const cam = cameras.find((c) => c.id === popupCam);
  if (!cam || !placed(cam)) return;
  if (window.matchMedia('(max-width: 700px)').matches) { popup.style.left = ''; popup.style.top = ''; return; }
  const [x, y] = screen(cam);
  const w = popup.offsetWidth || 340;
  const h = popup.offsetHeight || 320;
  popup.style.left = Math.max(8, Math.min(W - w - 8, x - w / 2)) + 'px';
  popup.style.top = (y - h - 18 >= 8 ? y - h - 18 : Math.min(H - h - 8, y + 18)) + 'px';
}

// Pan by dragging (mouse, pen or finger), zoom by wheel or buttons.
let drag = null;
mapEl.addEventListener('pointerdown', (ev) => {
  if (ev.target.closest('.marker, .map-popup, .map-controls')) return;
  drag = { x: ev.clientX, y: ev.clientY, cx: view.cx, cy: view.cy };
  mapEl.setPointerCapture(ev.pointerId);
  mapEl.classList.add('dragging');
});
mapEl.addEventListener('pointermove', (ev) => {
  if (!drag) return;
  view.cx = drag.cx - (ev.clientX - drag.x);
  view.cy = drag.cy - (ev.clientY - drag.y);
  draw();
});
const endDrag = () => { drag = null; mapEl.classList.remove('dragging'); };
mapEl.addEventListener('pointerup', endDrag);
mapEl.addEventListener('pointercancel', endDrag);

// zoom changes the zoom by dz around a point of the map (its centre by
// default), keeping that point in place.
function zoom(dz, mx = W / 2, my = H / 2) {
  const z = Math.max(MIN_Z, Math.min(MAX_Z, view.z + dz));
  if (z === view.z) return;
  const k = 2 ** (z - view.z);
  const px = view.cx + mx - W / 2;
  const py = view.cy + my - H / 2;
  view.cx = px * k - (mx - W / 2);
  view.cy = py * k - (my - H / 2);
  view.z = z;
  draw();
}
let wheelAt = 0;
mapEl.addEventListener('wheel', (ev) => {
  if (ev.target.closest('.map-popup')) return;
  ev.preventDefault();
  if (performance.now() - wheelAt < 180) return; // one step per notch burst
  wheelAt = performance.now();
  const r = mapEl.getBoundingClientRect();
  zoom(ev.deltaY < 0 ? 1 : -1, ev.clientX - r.left, ev.clientY - r.top);
}, { passive: false });
mapEl.addEventListener('dblclick', (ev) => {
  if (ev.target.closest('.marker, .map-popup, .map-controls')) return;
  const r = mapEl.getBoundingClientRect();
  zoom(1, ev.clientX - r.left, ev.clientY - r.top);
});
mapEl.addEventListener('keydown', (ev) => {
  const step = 80;
  const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
  if (moves[ev.key]) { view.cx += moves[ev.key][0]; view.cy += moves[ev.key][1]; draw(); ev.preventDefault(); }
  if (ev.key === '+' || ev.key === '=') zoom(1);
  if (ev.key === '-') zoom(-1);
});
$('map-zoom-in').addEventListener('click', () => zoom(1));
$('map-zoom-out').addEventListener('click', () => zoom(-1));
$('map-fit').addEventListener('click', () => { fit(); draw(); });
filters.addEventListener('change', draw);
window.addEventListener('resize', () => { size(); draw(); });
// The alert banner above the map grows and shrinks: the map follows.
const alertsEl = document.getElementById('alerts');
if (alertsEl) new ResizeObserver(() => { size(); draw(); }).observe(alertsEl);

// State: health changes from the banner at once, the API every 10 s.
function changed() {
  draw();
  const cam = popupCam && cameras.find((c) => c.id === popupCam);
  if (cam) fillPopup(cam);
}
document.addEventListener('matthan:health', (ev) => {
  const a = ev.detail;
  const st = cameras.find((c) => c.id === a.camera_id)?.streams?.find((s) => s.role === a.stream);
  if (!st) return;
  Object.assign(st, { state: a.state, reason: a.reason, reason_vi: a.reason_vi, since_local: a.since });
  changed();
});
setInterval(async () => {
  try { cameras = await api('GET', '/api/cameras'); changed(); } catch { /* try again later */ }
}, 10000);

mapEl.dataset.lang = lang;
size();
fit();
draw();
