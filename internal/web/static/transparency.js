// The public transparency page's map: the funded cameras on a plain
// background (no tiles, no video), coloured by whether they work, with
// the outline of each area, fitted to the cameras. It draws once and on
// resize; the figures around it are the server's.

import { project, placed, hull } from '/static/geo.js';

const $ = (id) => document.getElementById(id);
const mapEl = $('public-map');
const texts = JSON.parse($('public-i18n')?.textContent || '{}');
const cameras = JSON.parse($('public-map-data')?.textContent || '{}').cameras || [];
const SVG = 'http://www.w3.org/2000/svg';
const PAD = 26;

function draw() {
  const W = mapEl.clientWidth;
  const H = mapEl.clientHeight;
  const cams = cameras.filter(placed);
  const pts = cams.map((c) => project(c.latitude, c.longitude));
  // The largest zoom (to street level) at which every camera fits.
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  let z = 18;
  while (z > 2 && ((x1 - x0) * 2 ** z > W - 120 || (y1 - y0) * 2 ** z > H - 120)) z--;
  const k = 2 ** z;
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const screen = (p) => [(p[0] - cx) * k + W / 2, (p[1] - cy) * k + H / 2];

  const areas = new Map();
  cams.forEach((c, i) => {
    if (!c.area) return;
    if (!areas.has(c.area)) areas.set(c.area, []);
    areas.get(c.area).push(screen(pts[i]));
  });
  const svg = mapEl.querySelector('svg');
  const shapes = [];
  for (const [area, list] of areas) {
    const ring = [];
    for (const [x, y] of list) for (let i = 0; i < 12; i++) ring.push([x + PAD * Math.cos(i * Math.PI / 6), y + PAD * Math.sin(i * Math.PI / 6)]);
    const h = hull(ring);
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', 'M' + h.map((q) => q[0].toFixed(1) + ',' + q[1].toFixed(1)).join('L') + 'Z');
    path.setAttribute('class', 'area-outline');
    const label = document.createElementNS(SVG, 'text');
    const top = h.reduce((a, b) => (b[1] < a[1] ? b : a));
    label.setAttribute('x', (h.reduce((s, q) => s + q[0], 0) / h.length).toFixed(1));
    label.setAttribute('y', (top[1] - 6).toFixed(1));
    label.setAttribute('class', 'area-label');
    label.textContent = area;
    shapes.push(path, label);
  }
  svg.replaceChildren(...shapes);

  const markers = cams.map((c, i) => {
    const m = document.createElement('span');
    m.className = 'marker ' + (c.working ? 'state-streaming' : 'state-off');
    m.dataset.name = c.name;
    m.title = `${c.name} · ${texts[c.working ? 'transparency.working' : 'transparency.not_working'] || ''}`;
    m.setAttribute('role', 'img');
    m.setAttribute('aria-label', m.title);
    const [x, y] = screen(pts[i]);
    m.style.left = x + 'px';
    m.style.top = y + 'px';
    return m;
  });
  mapEl.querySelector('.map-markers').replaceChildren(...markers);
}

if (mapEl && cameras.some(placed)) {
  draw();
  window.addEventListener('resize', draw);
}
