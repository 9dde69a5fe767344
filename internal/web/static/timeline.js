// Timeline playback: a day of recordings for one camera or a synchronised
// group of up to four. The picture comes from progressive MP4 clips
// (/api/cameras/{id}/clip.mp4), loaded a window at a time around the
// playhead; every camera follows one master clock.

import { api, fmtLocal, parseLocal, lang } from '/static/app.js';
import { overlayMasks } from '/static/masks.js';

const texts = JSON.parse(document.getElementById('pb-i18n')?.textContent || '{}');
const tr = (key) => texts[key] ?? key;

const SECOND = 1000;
const DAY = 86400 * SECOND;
const TZ = 7 * 3600 * SECOND; // Asia/Ho_Chi_Minh, no daylight saving
const WINDOW = 10 * 60 * SECOND; // how much video one clip request covers
const WINDOW_BEFORE = 30 * SECOND; // …of which before the playhead, for small steps back
const RESYNC = 0.3; // seconds of drift before a follower camera is moved

// dayStart is 00:00 Asia/Ho_Chi_Minh of the day holding t (ms).
const dayStart = (t) => Math.floor((t + TZ) / DAY) * DAY - TZ;
const iso = (t) => new Date(t).toISOString();
const hhmm = (t) => fmtLocal(t).slice(11, 16);

// ---- The camera picker (no camera chosen) ---------------------------------

const pick = document.getElementById('pb-pick');
if (pick) {
  pick.addEventListener('submit', (ev) => {
    const ids = [...pick.querySelectorAll('input[name=pick]:checked')].map((el) => el.value);
    const err = document.getElementById('pb-pick-error');
    if (ids.length === 0 || ids.length > 4) {
      ev.preventDefault();
      err.hidden = ids.length === 0;
      return;
    }
    ev.preventDefault();
    location.href = '/playback?cameras=' + ids.map(encodeURIComponent).join(',');
  });
}

// ---- Markers on the timeline ----------------------------------------------
// Each source gives the events of a camera in a range as
// {at (ms), kind (a CSS class), title}. Analytics events will be one more
// source here.

const healthStates = { streaming: 'ok', connecting: 'warn' };
const markerSources = [
  async function healthMarkers(cam, from, to) {
    const list = await api('GET', `/api/cameras/${encodeURIComponent(cam.id)}/health?since=${encodeURIComponent(iso(from))}&limit=1000`);
    return (list || []).map((e) => ({ at: Date.parse(e.at), e })).filter((m) => m.at < to).map(({ at, e }) => ({
      at,
      kind: 'health ' + (healthStates[e.to] || 'bad'),
      title: `${fmtLocal(at)} · ${tr('playback.event_health')} (${e.stream}): ${e.from} → ${e.to}` +
        ((lang === 'vi' ? e.reason_vi || e.reason : e.reason) ? ' · ' + (lang === 'vi' ? e.reason_vi || e.reason : e.reason) : ''),
    }));
  },
];

// ---- The player -----------------------------------------------------------

const root = document.getElementById('pb');
const cfg = JSON.parse(document.getElementById('pb-config')?.textContent || 'null');
if (root && cfg) startPlayer(cfg);

function startPlayer(cfg) {
  const timeline = document.getElementById('pb-timeline');
  const playheadEl = timeline.querySelector('.pb-playhead');
  const selEl = timeline.querySelector('.pb-selection');
  const ticksEl = timeline.querySelector('.pb-ticks');
  const clockEl = document.getElementById('pb-clock');
  const dayEl = document.getElementById('pb-day');
  const playBtn = document.getElementById('pb-play');
  const rangeText = document.getElementById('pb-range-text');
  const exportBtn = document.getElementById('pb-export');
  const lockBtn = document.getElementById('pb-lock');

  const st = {
    playhead: cfg.at ? Date.parse(cfg.at) : NaN,
    day: 0,
    zoom: 86400, // seconds shown
    viewFrom: 0,
    viewTo: 0,
    playing: false,
    speed: 1,
    range: null, // {from, to}
    loadSeq: 0,
  };
  const cams = cfg.cameras.map((c) => {
    const fig = root.querySelector(`.pb-cam[data-camera="${CSS.escape(c.id)}"]`);
    return {
      ...c, fig,
      video: fig.querySelector('video'),
      masks: overlayMasks(fig.querySelector('video'), c.privacy_masks),
      overlay: fig.querySelector('.pb-overlay'),
      camClock: fig.querySelector('[data-cam-clock]'),
      row: timeline.querySelector(`.pb-row[data-camera="${CSS.escape(c.id)}"]`),
      spans: [], gaps: [], events: [],
      win: null, // {from, to, ready}
      frameDur: 0.04, // seconds; measured while playing
      failed: '',
    };
  });
  // Tests and the screenshot tool read the player's state here.
  window.matthanPlayback = { st, cams, seek, play, pause, setSpeed };

  for (const cam of cams) watchVideo(cam);

  // -- data of the day --

  async function loadDay(day) {
    st.day = day;
    const seq = ++st.loadSeq;
    dayEl.textContent = fmtLocal(day).slice(0, 10);
    await Promise.all(cams.map(async (cam) => {
      try {
        const r = await api('GET', `/api/cameras/${encodeURIComponent(cam.id)}/recordings?from=${encodeURIComponent(iso(day))}&to=${encodeURIComponent(iso(day + DAY))}`);
        if (seq !== st.loadSeq) return;
        cam.spans = (r.spans || []).map((s) => ({ ...s, start: Date.parse(s.start), end: Date.parse(s.end) }));
        cam.gaps = (r.gaps || []).map((g) => ({ ...g, start: Date.parse(g.start), end: g.end && !g.end.startsWith('0001') ? Date.parse(g.end) : Date.now() }));
        cam.loadError = '';
      } catch (e) {
        cam.spans = []; cam.gaps = []; cam.loadError = e.message;
      }
      const events = [];
      for (const source of markerSources) {
        try { events.push(...await source(cam, day, day + DAY)); } catch { /* markers are extra */ }
      }
      if (seq === st.loadSeq) cam.events = events;
    }));
    if (seq !== st.loadSeq) return;
    root.dataset.loaded = String(day);
    drawRows();
  }

  // -- the view and its drawing --

  function setView() {
    const span = st.zoom * SECOND;
    if (span >= DAY) {
      st.viewFrom = st.day; st.viewTo = st.day + DAY;
    } else {
      let from = st.playhead - span / 2;
      from = Math.max(st.day, Math.min(st.day + DAY - span, from));
      st.viewFrom = from; st.viewTo = from + span;
    }
  }

  const pct = (t) => ((t - st.viewFrom) / (st.viewTo - st.viewFrom)) * 100;

  function place(el, from, to) {
    const a = Math.max(0, pct(from)), b = Math.min(100, pct(to));
    el.style.left = a + '%';
    el.style.width = Math.max(0.15, b - a) + '%';
    el.hidden = b <= 0 || a >= 100;
  }

  function drawTicks() {
    const span = st.viewTo - st.viewFrom;
    const step = span > 6 * 3600e3 ? 3600e3 : span > 1800e3 ? 5 * 60e3 : 60e3;
    const label = span > 6 * 3600e3 ? 2 : span > 1800e3 ? 3 : 2; // every n-th tick has a label
    ticksEl.replaceChildren();
    const first = Math.ceil((st.viewFrom + TZ) / step) * step - TZ;
    for (let t = first, i = Math.round((first + TZ) / step); t <= st.viewTo; t += step, i++) {
      const el = document.createElement('span');
      el.className = 'pb-tick' + (i % label === 0 ? ' major' : '');
      el.style.left = pct(t) + '%';
      if (i % label === 0) el.textContent = t >= st.day + DAY ? '24:00' : hhmm(t);
      ticksEl.append(el);
    }
  }

  function drawRows() {
    setView();
    drawTicks();
    const now = Date.now();
    for (const cam of cams) {
      for (const el of cam.row.querySelectorAll('.pb-span, .pb-gap, .pb-ev')) el.remove();
      const add = (cls, from, to, title, data) => {
        const el = document.createElement('div');
        el.className = cls;
        place(el, from, to);
        el.title = title;
        Object.assign(el.dataset, data || {});
        cam.row.append(el);
        return el;
      };
      for (const s of cam.spans) {
        add('pb-span', s.start, s.end, `${tr('playback.recorded')}: ${fmtLocal(s.start)} – ${fmtLocal(s.end)} · ${s.codec} ${s.width}×${s.height}`,
          { start: iso(s.start), end: iso(s.end) });
      }
      for (const g of cam.gaps) {
        const reason = gapReason(g.reason);
        add(`pb-gap r-${g.reason}`, g.start, g.end, `${tr('playback.no_rec_at')}${reason} · ${fmtLocal(g.start)} – ${fmtLocal(g.end)}`,
          { reason: g.reason });
      }
      // Time of the day that has neither a recording nor a stored gap:
      // nothing is known about it (the node may not have been set up yet).
      for (const [from, to] of uncovered(cam, st.day, Math.min(st.day + DAY, now))) {
        add('pb-gap r-unknown', from, to, `${tr('playback.no_rec_at')}${gapReason('unknown')} · ${fmtLocal(from)} – ${fmtLocal(to)}`,
          { reason: 'unknown' });
      }
      for (const ev of cam.events) {
        const el = add('pb-ev ' + ev.kind, ev.at, ev.at, ev.title);
        el.style.width = '';
      }
    }
    drawSelection();
    drawPlayhead();
  }

  function drawPlayhead() {
    const p = pct(st.playhead);
    playheadEl.hidden = p < 0 || p > 100;
    playheadEl.style.left = p + '%';
    clockEl.textContent = fmtLocal(st.playhead);
    clockEl.dataset.ms = String(Math.round(st.playhead));
    timeline.setAttribute('aria-valuetext', fmtLocal(st.playhead));
    for (const cam of cams) cam.camClock.textContent = fmtLocal(st.playhead).slice(11);
  }

  function drawSelection() {
    const r = st.range;
    selEl.hidden = !r;
    if (r) place(selEl, r.from, r.to);
    const ok = r && r.to - r.from >= SECOND;
    exportBtn.disabled = lockBtn.disabled = !ok;
    rangeText.textContent = ok
      ? `${tr('playback.range')}: ${fmtLocal(r.from)} – ${fmtLocal(r.to)} (${duration(r.to - r.from)})`
      : tr('playback.range_none');
  }

  // -- what is at the playhead --

  const spanAt = (cam, t) => cam.spans.find((s) => t >= s.start && t < s.end);
  function gapAt(cam, t) {
    const g = cam.gaps.find((x) => t >= x.start && t < x.end);
    return gapReason(g ? g.reason : 'unknown');
  }

  // -- the videos --

  function clipURL(cam, from, to) {
    return `/api/cameras/${encodeURIComponent(cam.id)}/clip.mp4?from=${encodeURIComponent(iso(from))}&to=${encodeURIComponent(iso(to))}`;
  }

  function overlay(cam, text, cls) {
    cam.overlay.hidden = !text;
    cam.overlay.textContent = text || '';
    cam.overlay.className = 'pb-overlay ' + (cls || '');
    cam.fig.classList.toggle('no-picture', !!text && cls !== 'loading');
  }

  function watchVideo(cam) {
    const v = cam.video;
    v.addEventListener('loadedmetadata', () => {
      if (!cam.win || v.dataset.src !== cam.win.url) return;
      cam.win.ready = true;
      cam.failed = '';
      v.currentTime = Math.max(0, (st.playhead - cam.win.from) / SECOND);
      v.playbackRate = st.speed;
      overlay(cam, '');
      if (st.playing && spanAt(cam, st.playhead)) v.play().catch(() => {});
    });
    v.addEventListener('error', async () => {
      if (!cam.win) return;
      const url = cam.win.url;
      const unsupported = v.error && v.error.code === MediaError.MEDIA_ERR_SRC_NOT_SUPPORTED;
      cam.failed = unsupported ? tr('playback.unplayable') : tr('playback.load_failed');
      overlay(cam, cam.failed, 'bad');
      // A refusal reaches the video element as a bare error: ask the
      // server why (e.g. the owner shares this camera only on request).
      try {
        const res = await fetch(url, { headers: { Range: 'bytes=0-0' }, credentials: 'same-origin' });
        const e = res.ok ? null : (await res.json())?.error;
        if (e && cam.win?.url === url) {
          cam.failed = lang === 'vi' ? e.message_vi || e.message : e.message;
          overlay(cam, cam.failed, 'bad');
        }
      } catch { /* keep the generic message */ }
    });
    // The frame duration, for stepping one frame, from the pictures shown.
    if ('requestVideoFrameCallback' in v) {
      let last = null;
      const onFrame = (_now, meta) => {
        if (last !== null && meta.presentedFrames === last.n + 1) {
          const d = meta.mediaTime - last.t; // media time: the same at any speed
          if (d > 0.005 && d < 1) cam.frameDur = d;
        }
        last = { n: meta.presentedFrames, t: meta.mediaTime };
        v.requestVideoFrameCallback(onFrame);
      };
      v.requestVideoFrameCallback(onFrame);
    }
  }

  // sync brings a camera's video to the playhead: the right window loaded,
  // the right time, playing or paused with the others.
  function sync(cam, force) {
    const v = cam.video;
    const span = spanAt(cam, st.playhead);
    if (!span) {
      if (!v.paused) v.pause();
      overlay(cam, tr('playback.no_rec_at') + gapAt(cam, st.playhead), 'gap');
      return;
    }
    const w = cam.win;
    if (!w || st.playhead < w.from || st.playhead >= w.to - 50 || (force && cam.failed)) {
      const from = Math.max(span.start, st.playhead - WINDOW_BEFORE);
      const to = Math.min(span.end, from + WINDOW);
      const url = clipURL(cam, from, to);
      cam.win = { from, to, url, ready: false };
      cam.failed = '';
      overlay(cam, tr('playback.loading'), 'loading');
      v.dataset.src = url;
      v.src = url;
      return;
    }
    if (!w.ready) return;
    if (cam.failed) { overlay(cam, cam.failed, 'bad'); return; }
    if (cam.overlay.classList.contains('gap')) overlay(cam, '');
    const want = (st.playhead - w.from) / SECOND;
    const limit = RESYNC * Math.max(1, st.speed / 2); // frames arrive in bigger steps at high speed
    if (force || Math.abs(v.currentTime - want) > limit) v.currentTime = want;
    if (v.playbackRate !== st.speed) v.playbackRate = st.speed;
    if (st.playing && v.paused && !v.ended) v.play().catch(() => {});
    if (!st.playing && !v.paused) v.pause();
  }

  // The master clock: while playing, the first camera whose picture is
  // moving sets the time; with none (every camera in a gap, or loading),
  // the clock runs on its own at the chosen speed.
  let lastTick = performance.now();
  function tick(now) {
    const dt = Math.min(now - lastTick, 1000);
    lastTick = now;
    if (st.playing) {
      const lead = cams.find((c) => c.win?.ready && !c.failed && !c.video.paused && !c.video.seeking &&
        c.video.readyState >= 2 && st.playhead >= c.win.from && st.playhead < c.win.to);
      if (lead) st.playhead = lead.win.from + lead.video.currentTime * SECOND;
      else st.playhead += dt * st.speed;
      if (st.playhead >= st.day + DAY || st.playhead >= Date.now()) {
        if (st.playhead >= Date.now()) { pause(); st.playhead = Date.now(); }
        else changeDay(dayStart(st.playhead));
      }
      for (const cam of cams) sync(cam, false);
      if (st.zoom * SECOND < DAY && (st.playhead < st.viewFrom || st.playhead > st.viewTo)) drawRows();
      drawPlayhead();
    }
    requestAnimationFrame(tick);
  }

  // -- commands --

  function seek(t, keepView) {
    st.playhead = t;
    if (dayStart(t) !== st.day) { changeDay(dayStart(t)); return; }
    for (const cam of cams) sync(cam, true);
    if (!keepView && st.zoom * SECOND < DAY) drawRows(); else drawPlayhead();
    rememberPlace();
  }

  async function changeDay(day) {
    for (const cam of cams) { cam.win = null; cam.video.removeAttribute('src'); cam.video.load(); }
    await loadDay(day);
    for (const cam of cams) sync(cam, true);
    drawPlayhead();
  }

  function play() {
    st.playing = true;
    playBtn.textContent = playBtn.dataset.pause;
    playBtn.setAttribute('aria-pressed', 'true');
    for (const cam of cams) sync(cam, false);
  }
  function pause() {
    st.playing = false;
    playBtn.textContent = playBtn.dataset.play;
    playBtn.setAttribute('aria-pressed', 'false');
    for (const cam of cams) if (!cam.video.paused) cam.video.pause();
    rememberPlace();
  }
  function setSpeed(x) {
    st.speed = x;
    for (const b of document.querySelectorAll('[data-speed]')) b.setAttribute('aria-pressed', String(+b.dataset.speed === x));
    for (const cam of cams) { cam.video.playbackRate = x; }
  }
  function step(dir) {
    pause();
    const d = (cams.find((c) => spanAt(c, st.playhead))?.frameDur || 0.04) * SECOND;
    seek(st.playhead + dir * d, true);
  }

  // The address keeps the place, so a reload or a shared link opens here.
  let placeTimer = 0;
  function rememberPlace() {
    clearTimeout(placeTimer);
    placeTimer = setTimeout(() => {
      const u = new URL(location.href);
      u.searchParams.set('at', iso(Math.floor(st.playhead / SECOND) * SECOND));
      history.replaceState(null, '', u);
    }, 500);
  }

  // -- the timeline: click or drag to scrub, shift-drag to choose a range --

  const timeAtX = (x) => {
    const r = timeline.getBoundingClientRect();
    const f = Math.max(0, Math.min(1, (x - r.left) / r.width));
    return st.viewFrom + f * (st.viewTo - st.viewFrom);
  };
  let drag = null;
  timeline.addEventListener('pointerdown', (ev) => {
    if (ev.button !== 0) return;
    timeline.setPointerCapture(ev.pointerId);
    const t = timeAtX(ev.clientX);
    if (ev.shiftKey) {
      drag = { kind: 'range', from: t };
      st.range = { from: t, to: t };
      drawSelection();
    } else {
      drag = { kind: 'scrub', wasPlaying: st.playing };
      if (st.playing) pause();
      st.playhead = t;
      drawPlayhead();
    }
  });
  timeline.addEventListener('pointermove', (ev) => {
    if (!drag) return;
    const t = timeAtX(ev.clientX);
    if (drag.kind === 'range') {
      st.range = { from: Math.min(drag.from, t), to: Math.max(drag.from, t) };
      drawSelection();
    } else {
      st.playhead = t;
      drawPlayhead();
    }
  });
  const endDrag = (ev) => {
    if (!drag) return;
    const d = drag;
    drag = null;
    if (d.kind === 'scrub') {
      seek(timeAtX(ev.clientX), true);
      if (d.wasPlaying) play();
    } else if (st.range && st.range.to - st.range.from < SECOND) {
      st.range = null;
      drawSelection();
    }
  };
  timeline.addEventListener('pointerup', endDrag);
  timeline.addEventListener('pointercancel', () => { drag = null; });
  timeline.addEventListener('keydown', (ev) => {
    const stepMs = (st.zoom * SECOND) / 100;
    if (ev.key === 'ArrowLeft') { seek(st.playhead - stepMs); ev.preventDefault(); }
    if (ev.key === 'ArrowRight') { seek(st.playhead + stepMs); ev.preventDefault(); }
    if (ev.key === ' ') { st.playing ? pause() : play(); ev.preventDefault(); }
  });

  // -- the buttons --

  playBtn.addEventListener('click', () => (st.playing ? pause() : play()));
  document.getElementById('pb-frame-back').addEventListener('click', () => step(-1));
  document.getElementById('pb-frame-next').addEventListener('click', () => step(1));
  for (const b of document.querySelectorAll('[data-speed]')) b.addEventListener('click', () => setSpeed(+b.dataset.speed));
  for (const b of document.querySelectorAll('[data-zoom]')) {
    b.addEventListener('click', () => {
      st.zoom = +b.dataset.zoom;
      for (const x of document.querySelectorAll('[data-zoom]')) x.setAttribute('aria-pressed', String(x === b));
      drawRows();
    });
  }
  document.getElementById('pb-day-prev').addEventListener('click', () => seek(st.playhead - DAY));
  document.getElementById('pb-day-next').addEventListener('click', () => seek(Math.min(st.playhead + DAY, Date.now())));
  const jump = document.getElementById('pb-jump');
  const jumpInput = document.getElementById('pb-jump-input');
  jump.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const d = parseLocal(jumpInput.value);
    if (!d) {
      jumpInput.setCustomValidity(tr('playback.bad_time'));
      jumpInput.reportValidity();
      return;
    }
    jumpInput.setCustomValidity('');
    seek(d.getTime());
  });
  jumpInput.addEventListener('input', () => jumpInput.setCustomValidity(''));

  document.getElementById('pb-mark-in').addEventListener('click', () => {
    const to = st.range && st.range.to > st.playhead ? st.range.to : st.playhead + 60 * SECOND;
    st.range = { from: st.playhead, to };
    drawSelection();
  });
  document.getElementById('pb-mark-out').addEventListener('click', () => {
    const from = st.range && st.range.from < st.playhead ? st.range.from : st.playhead - 60 * SECOND;
    st.range = { from, to: st.playhead };
    drawSelection();
  });
  document.getElementById('pb-range-clear').addEventListener('click', () => { st.range = null; drawSelection(); });

  // -- export and lock --

  const dialog = document.getElementById('pb-dialog');
  const dform = document.getElementById('pb-dialog-form');
  const derr = document.getElementById('pb-dialog-error');
  const dresult = document.getElementById('pb-dialog-result');
  const dgo = document.getElementById('pb-dialog-go');
  let mode = 'export';

  function openDialog(m) {
    mode = m;
    dform.reset();
    derr.hidden = true;
    dresult.hidden = true;
    dresult.replaceChildren();
    for (const el of dform.querySelectorAll('[data-error]')) el.hidden = true;
    dgo.hidden = false;
    dgo.disabled = false;
    document.getElementById('pb-dialog-title').textContent = tr(m === 'export' ? 'playback.export' : 'playback.lock');
    document.getElementById('pb-case-label').textContent = tr(m === 'export' ? 'playback.case_opt' : 'playback.case_req');
    dform.elements.case.required = m === 'lock';
    dgo.textContent = tr(m === 'export' ? 'playback.export_go' : 'playback.lock_go');
    document.getElementById('pb-dialog-range').textContent =
      `${cams.map((c) => c.name).join(', ')} · ${fmtLocal(st.range.from)} – ${fmtLocal(st.range.to)}`;
    dialog.showModal();
  }
  exportBtn.addEventListener('click', () => { pause(); openDialog('export'); });
  lockBtn.addEventListener('click', () => { pause(); openDialog('lock'); });
  document.getElementById('pb-dialog-cancel').addEventListener('click', () => dialog.close());

  function showFieldErrors(e) {
    let shown = false;
    for (const f of e.fields || []) {
      const el = dform.querySelector(`[data-error="${CSS.escape(f.field)}"]`);
      if (el) { el.textContent = lang === 'vi' ? f.message_vi || f.message : f.message; el.hidden = false; shown = true; }
    }
    if (!shown) { derr.textContent = e.message; derr.hidden = false; }
  }

  dform.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    derr.hidden = true;
    for (const el of dform.querySelectorAll('[data-error]')) el.hidden = true;
    const reason = dform.elements.reason.value.trim();
    const kase = dform.elements.case.value.trim();
    if (!reason) { showFieldErrors({ fields: [{ field: 'reason', message: tr('playback.reason_req') }] }); return; }
    if (mode === 'lock' && !kase) { showFieldErrors({ fields: [{ field: 'case', message: tr('playback.case_missing') }] }); return; }
    dgo.disabled = true;
    dgo.textContent = tr('playback.working');
    const from = iso(st.range.from), to = iso(st.range.to);
    let wait = null;
    if (mode === 'export') {
      // A masked camera's clips are re-encoded: it can take minutes, and
      // the export goes on if the page is left (internal/httpapi).
      wait = document.createElement('p');
      wait.className = 'muted';
      wait.id = 'pb-export-wait';
      wait.textContent = tr('playback.export_wait');
      dgo.after(wait);
    }
    try {
      if (mode === 'export') {
        const res = await api('POST', '/api/exports', { cameras: cams.map((c) => c.id), from, to, reason, case: kase });
        const p = document.createElement('p');
        p.append(tr('playback.export_done') + ' ');
        const a = document.createElement('a');
        a.href = res.download;
        a.textContent = res.id + '.zip';
        a.setAttribute('download', '');
        a.id = 'pb-download';
        p.append(a);
        dresult.append(p);
        for (const w of res.warnings || []) {
          const wp = document.createElement('p');
          wp.className = 'muted';
          wp.textContent = `${tr('playback.warnings')}: ${w}`;
          dresult.append(wp);
        }
      } else {
        for (const cam of cams) {
          await api('POST', `/api/cameras/${encodeURIComponent(cam.id)}/locks`, { from, to, case: kase, reason });
        }
        const p = document.createElement('p');
        p.textContent = tr('playback.lock_done');
        dresult.append(p);
      }
      dresult.hidden = false;
      dgo.hidden = true;
      document.getElementById('pb-dialog-cancel').textContent = tr('playback.close');
    } catch (e) {
      showFieldErrors(e);
      dgo.disabled = false;
      dgo.textContent = tr(mode === 'export' ? 'playback.export_go' : 'playback.lock_go');
    } finally {
      wait?.remove();
    }
  });

  // -- start --

  (async () => {
    const now = Date.now();
    const start = Number.isNaN(st.playhead) ? now - 3600 * SECOND : st.playhead;
    await loadDay(dayStart(start));
    if (Number.isNaN(st.playhead)) {
      // No time asked: the last five minutes recorded today, or an hour ago.
      const last = cams.flatMap((c) => c.spans).sort((a, b) => b.end - a.end)[0];
      st.playhead = last ? Math.max(last.start, last.end - 5 * 60 * SECOND) : start;
    }
    for (const cam of cams) sync(cam, true);
    drawRows();
    root.dataset.ready = 'true';
    requestAnimationFrame(tick);
  })();
}

function gapReason(reason) {
  const key = 'playback.gap.' + reason;
  return texts[key] ? tr(key) : tr('playback.gap.unknown');
}

// uncovered returns the parts of [from, to) that have neither a span nor a
// stored gap.
function uncovered(cam, from, to) {
  const parts = [...cam.spans, ...cam.gaps].map((x) => [x.start, x.end]).sort((a, b) => a[0] - b[0]);
  const out = [];
  let t = from;
  for (const [a, b] of parts) {
    if (a > t && a < to) out.push([t, Math.min(a, to)]);
    t = Math.max(t, b);
    if (t >= to) break;
  }
  if (t < to) out.push([t, to]);
  return out.filter(([a, b]) => b - a >= SECOND);
}

function duration(ms) {
  const s = Math.round(ms / SECOND);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return (h ? h + ' h ' : '') + (h || m ? m + ' min ' : '') + r + ' s';
}
