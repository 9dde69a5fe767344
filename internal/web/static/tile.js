// A live camera tile, shared by the wall and the map's popup: the video,
// the camera's name, its state with since when and why, and a clock. The
// player comes from internal/live (/live/player.js); without it the tile
// still shows the camera's state in words.

import { lang, fmtLocal } from '/static/app.js';
import { overlayMasks } from '/static/masks.js';

// Page texts: each page puts its messages into #<page>-i18n; app.js has the
// common ones.
const texts = {};
for (const el of document.querySelectorAll('script[id$="-i18n"]')) Object.assign(texts, JSON.parse(el.textContent || '{}'));
export function tr(key) { return texts[key] ?? key; }

// DOWN are the states in which a stream is meant to stream and does not.
export const DOWN = new Set(['offline', 'stalled', 'auth_failed', 'unsupported_codec', 'bad_url']);

// The player module loads once, on first use; if it cannot load, tiles
// say so instead of failing.
let playerModule;
function loadPlayer() {
  playerModule ??= import('/live/player.js').then((m) => m.LivePlayer).catch(() => null);
  return playerModule;
}

// transport is how tiles play live video: 'auto' (WebRTC, falling back to
// MSE over WebSocket), or forced with ?transport=webrtc|mse, for a network
// that blocks UDP or to check one path.
const askedTransport = new URLSearchParams(location.search).get('transport');
const transport = ['webrtc', 'mse'].includes(askedTransport) ? askedTransport : 'auto';

export function streamOf(cam, role) {
  return cam.streams?.find((s) => s.role === role) || cam.streams?.[0] || { role, state: 'connecting' };
}

export function hasSub(cam) { return !!cam.streams?.some((s) => s.role === 'sub'); }

// sinceText is "since dd/MM/yyyy HH:mm:ss" of a stream, from an alert (already
// formatted) or from the API (RFC 3339).
function sinceText(st) {
  if (st.since_local) return st.since_local;
  return st.since ? fmtLocal(st.since) : '';
}

export function reasonOf(st) {
  return lang === 'vi' ? (st.reason_vi || st.reason || '') : (st.reason || st.reason_vi || '');
}

export class Tile {
  // stream is 'main' or 'sub'; csrf is the session's token for the player.
  constructor(cam, stream, csrf) {
    this.cam = cam;
    this.stream = stream;
    this.csrf = csrf;
    this.player = null;
    this.playerState = null;
    this.el = document.createElement('div');
    this.el.className = 'tile';
    this.el.tabIndex = 0;
    this.el.innerHTML = `<video muted autoplay playsinline></video><canvas class="tile-boxes"></canvas>
<div class="tile-top"><span class="tile-name"></span><span class="state tile-state"></span></div>
<div class="tile-msg" hidden><p class="tile-why"></p><button type="button" class="tile-sub" hidden></button></div>
<div class="tile-bottom"><span class="tile-clock" data-clock></span><span class="tile-stream"></span></div>`;
    this.video = this.el.querySelector('video');
    this.masks = overlayMasks(this.video, cam.privacy_masks);
    this.el.querySelector('.tile-clock').textContent = fmtLocal(new Date());
    const sub = this.el.querySelector('.tile-sub');
    sub.textContent = tr('wall.use_sub');
    sub.addEventListener('click', (ev) => { ev.stopPropagation(); this.stream = 'sub'; this.stop(); this.update(this.cam); });
    sub.addEventListener('dblclick', (ev) => ev.stopPropagation());
    this.update(cam);
  }

  get key() { return this.cam.id + '/' + this.stream; }

  // update shows the camera's latest state and starts or stops the player
  // to match: a stream that is down or switched off plays nothing.
  update(cam) {
    this.cam = cam;
    this.masks.update(cam.privacy_masks);
    const st = streamOf(cam, this.stream);
    const el = this.el;
    el.dataset.camera = cam.id;
    el.dataset.stream = this.stream;
    el.dataset.state = st.state;
    el.querySelector('.tile-name').textContent = cam.name || cam.id;
    el.querySelector('.tile-name').title = [cam.name, cam.area, cam.address].filter(Boolean).join(' · ');
    const state = el.querySelector('.tile-state');
    state.className = 'state tile-state ' + st.state;
    state.textContent = tr('wall.state.' + st.state);
    this.showStream();
    const down = DOWN.has(st.state) || st.state === 'disabled';
    el.classList.toggle('down', DOWN.has(st.state));
    if (down) {
      this.stop();
      const since = sinceText(st);
      this.message([tr('wall.state.' + st.state) + (since ? ` ${tr('wall.since')} ${since}` : ''), reasonOf(st)].filter(Boolean).join('\n'), false);
    } else {
      this.start();
      this.showPlayerState();
    }
  }

  // alert applies a health change from the banner's event stream.
  alert(a) {
    const st = this.cam.streams?.find((s) => s.role === a.stream);
    if (!st) return;
    Object.assign(st, { state: a.state, reason: a.reason, reason_vi: a.reason_vi, since_local: a.since });
    this.update(this.cam);
  }

  // Boxes over the picture: what analytics sees now, asked twice a second
  // while the tile plays. A camera that is not analysed answers 404 and is
  // not asked again.
  startBoxes() {
    if (this.boxTimer || this.noBoxes) return;
    this.boxTimer = setInterval(() => this.pollBoxes(), 500);
  }

  stopBoxes() {
    clearInterval(this.boxTimer);
    this.boxTimer = null;
    const c = this.el.querySelector('canvas.tile-boxes');
    c.getContext('2d').clearRect(0, 0, c.width, c.height);
    delete this.el.dataset.boxes;
  }

  async pollBoxes() {
    let res;
    try { res = await fetch('/api/cameras/' + encodeURIComponent(this.cam.id) + '/analytics', { credentials: 'same-origin' }); } catch { return; }
    if (res.status === 404) { this.noBoxes = true; this.stopBoxes(); return; }
    if (!res.ok || !this.boxTimer) return;
    this.drawBoxes(await res.json());
  }

  // drawBoxes draws tracked objects with their class where the video shows
  // them (the picture is letterboxed: object-fit contain).
  drawBoxes(b) {
    const c = this.el.querySelector('canvas.tile-boxes'), v = this.video;
    c.width = c.clientWidth; c.height = c.clientHeight;
    const vw = v.videoWidth || 16, vh = v.videoHeight || 9;
    const sc = Math.min(c.width / vw, c.height / vh), dw = vw * sc, dh = vh * sc;
    const ox = (c.width - dw) / 2, oy = (c.height - dh) / 2;
    const g = c.getContext('2d');
    g.clearRect(0, 0, c.width, c.height);
    g.lineWidth = 2; g.font = '12px system-ui, sans-serif';
    for (const t of b.tracks || []) {
      const [x1, y1, x2, y2] = t.box;
      const x = ox + x1 * dw, y = oy + y1 * dh;
      g.strokeStyle = g.fillStyle = t.class === 'person' ? '#ffd54f' : '#4fc3f7';
      g.strokeRect(x, y, (x2 - x1) * dw, (y2 - y1) * dh);
      g.fillText(tr('wall.class.' + t.class), x + 2, Math.max(12, y - 3));
    }
    this.el.dataset.boxes = String((b.tracks || []).length);
  }

  // showStream says which stream plays, and how once the player knows.
  showStream() {
    const how = this.playerState?.transport;
    this.el.querySelector('.tile-stream').textContent = how ? `${this.stream} · ${how}` : this.stream;
  }

  message(text, offerSub) {
    const box = this.el.querySelector('.tile-msg');
    box.hidden = !text;
    this.el.querySelector('.tile-why').textContent = text || '';
    this.el.querySelector('.tile-sub').hidden = !offerSub;
  }

  showPlayerState() {
    const p = this.playerState;
    if (!p || p.state === 'playing') { this.message(p ? '' : tr('wall.player.connecting'), false); return; }
    // The player says why it is (re)connecting: "no picture; retrying".
    if (p.state === 'connecting') { this.message((lang === 'vi' ? p.message_vi : p.message_en) || tr('wall.player.connecting'), false); return; }
    if (p.state === 'error') {
      const why = (lang === 'vi' ? p.message_vi : p.message_en) || p.message_en || p.message_vi || tr('wall.player.error');
      this.message(why, this.stream === 'main' && hasSub(this.cam));
    }
  }

  async start() {
    if (this.player || this.starting) return;
    this.starting = true;
    const LivePlayer = await loadPlayer();
    this.starting = false;
    if (this.stopped || this.player) return;
    if (!LivePlayer) { this.playerState = { state: 'error', message_vi: tr('wall.player.unavailable'), message_en: tr('wall.player.unavailable') }; this.showPlayerState(); return; }
    const st = streamOf(this.cam, this.stream);
    if (DOWN.has(st.state) || st.state === 'disabled') return;
    const p = new LivePlayer(this.video, { camera: this.cam.id, stream: this.stream, csrf: this.csrf, transport, base: '' });
    this.player = p;
    this.playerState = { state: 'connecting' };
    p.onstate = (s) => {
      if (this.player !== p) return;
      this.playerState = s;
      this.el.dataset.player = s.state;
      this.showStream();
      this.showPlayerState();
      if (s.state === 'playing') this.startBoxes(); else this.stopBoxes();
    };
    try { p.start(); } catch (e) { this.playerState = { state: 'error', message_vi: String(e.message || e), message_en: String(e.message || e) }; this.showPlayerState(); }
  }

  stop() {
    const p = this.player;
    this.player = null;
    this.playerState = null;
    this.stopBoxes();
    delete this.el.dataset.player;
    if (p) { try { p.stop(); } catch { /* already stopped */ } }
  }

  // close stops the tile for good (it left the page).
  close() { this.stopped = true; this.stop(); this.el.remove(); }
}
