// LivePlayer plays one camera stream live in a <video> element: WebRTC
// (WHEP) for sub-second latency, or fragmented MP4 over a WebSocket into
// Media Source Extensions when WebRTC cannot connect. No dependencies.
//
//   import { LivePlayer } from '/live/player.js';
//   const p = new LivePlayer(videoEl, { camera: 'cam-001', stream: 'sub', csrf, transport: 'auto' });
//   p.onstate = (s) => { /* s.state: connecting | playing | error | stopped */ };
//   p.start(); … p.stop();

const FALLBACK_MS = 4000; // auto: no frame from WebRTC this long → MSE
const STALL_MS = 5000; // playing, no new frame this long → reconnect
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30000;
const MSE_MAX_BEHIND_S = 1.0; // jump to the live edge when further behind
const MSE_KEEP_S = 6; // seconds of played video kept in the buffer
const MSE_MAX_QUEUE = 150; // fragments waiting for the SourceBuffer

const MSG = {
  connecting: ['Đang kết nối…', 'Connecting…'],
  playing: ['Đang phát trực tiếp', 'Playing live'],
  stopped: ['Đã dừng', 'Stopped'],
  noFrames: ['Không nhận được hình; đang thử lại', 'No picture received; retrying'],
  dropped: ['Mất tín hiệu; đang kết nối lại', 'The stream dropped; reconnecting'],
  ended: ['Camera ngừng phát; đang kết nối lại', 'The camera stopped streaming; reconnecting'],
  network: ['Không kết nối được tới máy chủ; đang thử lại', 'Cannot reach the server; retrying'],
  noMSE: ['Trình duyệt này không hỗ trợ Media Source Extensions', 'This browser has no Media Source Extensions'],
  noWebRTC: ['Trình duyệt này không hỗ trợ WebRTC', 'This browser has no WebRTC'],
};

function codecMessage(codec, stream) {
  const name = codec === 'H265' ? 'H.265' : codec === 'H264' ? 'H.264' : codec;
  let vi = `Trình duyệt này không phát được video ${name}.`;
  let en = `This browser cannot play ${name} video.`;
  if (stream === 'main') {
    vi += ' Hãy mở luồng phụ.';
    en += ' Open the sub-stream instead.';
  }
  return [vi, en];
}

// PlayerError carries what to show and whether trying again can help.
class PlayerError extends Error {
  constructor(vi, en, { permanent = false, fallback = false, code = '' } = {}) {
    super(en);
    this.vi = vi;
    this.en = en;
    this.permanent = permanent; // retrying cannot help (codec, signed out)
    this.fallback = fallback; // auto mode should try MSE
    this.code = code;
  }
}

// serverError reads the API's JSON error {"error":{code,message,message_vi,fields}}.
async function serverError(res) {
  let e = null;
  try {
    e = (await res.json()).error;
  } catch (_) { /* not JSON */ }
  return errorFrom(e, res.status);
}

function errorFrom(e, status) {
  if (!e) {
    return new PlayerError(`Máy chủ trả lời lỗi ${status}`, `The server answered ${status}`);
  }
  const codec = e.code === 'invalid' && (e.fields || []).some((f) => f.field === 'stream');
  const auth = e.code === 'unauthorized' || e.code === 'forbidden' || status === 401 || status === 403;
  return new PlayerError(e.message_vi || e.message, e.message || e.message_vi,
    { permanent: auth, fallback: codec, code: e.code || '' });
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function waitGathering(pc, ms) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      pc.removeEventListener('icegatheringstatechange', check);
      clearTimeout(t);
      resolve();
    };
    const check = () => { if (pc.iceGatheringState === 'complete') done(); };
    const t = setTimeout(done, ms);
    pc.addEventListener('icegatheringstatechange', check);
  });
}

export class LivePlayer {
  constructor(video, opts = {}) {
    this.video = video;
    this.opts = { stream: 'sub', transport: 'auto', base: '', csrf: '', muted: true, ...opts };
    this.onstate = null;
    this.state = { state: 'stopped', transport: null, message_vi: MSG.stopped[0], message_en: MSG.stopped[1] };
    this.transport = null;
    this._gen = 0; // bumped by every (re)connect and stop: late callbacks of older ones do nothing
    this._failures = 0;
    this._useMSE = false;
    this._timer = null;
  }

  start() {
    this.stop(true);
    this._failures = 0;
    this._useMSE = this.opts.transport === 'mse';
    const v = this.video;
    v.muted = this.opts.muted;
    v.autoplay = true;
    v.playsInline = true;
    this._connect();
  }

  stop(quiet = false) {
    this._gen++;
    this._teardown();
    if (!quiet) this._emit('stopped', MSG.stopped);
  }

  // stats says what the element has shown so far.
  stats() {
    const q = this.video.getVideoPlaybackQuality ? this.video.getVideoPlaybackQuality() : null;
    return { transport: this.transport, frames: q ? q.totalVideoFrames : 0, time: this.video.currentTime };
  }

  _url(kind) {
    const o = this.opts;
    return new URL(`${o.base}/api/cameras/${encodeURIComponent(o.camera)}/live/${encodeURIComponent(o.stream)}/${kind}`,
      window.location.href);
  }

  _emit(state, [vi, en], extra = {}) {
    this.state = { state, transport: this.transport, message_vi: vi, message_en: en, ...extra };
    if (this.onstate) {
      try { this.onstate(this.state); } catch (e) { console.error(e); }
    }
  }

  async _connect() {
    const gen = ++this._gen;
    this._teardown();
    this.transport = this._useMSE ? 'mse' : 'webrtc';
    this._attemptPlayed = false;
    this._emit('connecting', MSG.connecting);
    try {
      if (this.transport === 'webrtc') await this._startWebRTC(gen);
      else await this._startMSE(gen);
    } catch (e) {
      this._fail(gen, e);
    }
  }

  // _fail ends the attempt gen: falls back to MSE, or shows the error and
  // tries again later unless that cannot help.
  _fail(gen, e) {
    if (gen !== this._gen) return;
    if (!(e instanceof PlayerError)) e = new PlayerError(MSG.network[0], MSG.network[1]);
    this._teardown();
    if (this.opts.transport === 'auto' && this.transport === 'webrtc' && e.fallback) {
      // Includes WebRTC refusing the codec: the browser's MSE may still play it.
      this._useMSE = true;
      this._connect();
      return;
    }
    this._emit('error', [e.vi, e.en], { code: e.code, permanent: e.permanent });
    if (e.permanent) return;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this._failures);
    this._failures++;
    this._gen++;
    const retry = this._gen;
    this._timer = setTimeout(() => { if (retry === this._gen) this._connect(); }, delay);
  }

  _teardown() {
    clearTimeout(this._timer);
    clearInterval(this._watch);
    this._timer = this._watch = null;
    if (this._pc) {
      this._pc.close();
      this._pc = null;
    }
    if (this._location) {
      fetch(this._location, { method: 'DELETE', headers: { 'X-CSRF-Token': this.opts.csrf }, keepalive: true,
        credentials: 'same-origin' }).catch(() => {});
      this._location = null;
    }
    if (this._ws) {
      this._ws.onmessage = this._ws.onclose = null;
      this._ws.close();
      this._ws = null;
    }
    this._closeMediaSource();
    const v = this.video;
    if (v.srcObject) v.srcObject = null;
    if (v.getAttribute('src')) {
      v.removeAttribute('src');
      v.load();
    }
  }

  _play() {
    const p = this.video.play();
    if (p) p.catch(() => {}); // autoplay refused: the watch loop reports no frames
  }

  // _watchFrames reports playing once frames come, fails the attempt when
  // none come in time, and reconnects when they stop.
  _watchFrames(gen, onTick) {
    const v = this.video;
    const started = performance.now();
    let last = performance.now();
    let frames = -1;
    let time = -1;
    let playing = false;
    this._watch = setInterval(() => {
      if (gen !== this._gen) return;
      if (onTick) onTick();
      const now = performance.now();
      const q = v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality().totalVideoFrames : 0;
      if (q !== frames || v.currentTime !== time) {
        const moved = frames >= 0;
        frames = q;
        time = v.currentTime;
        if (moved && (q > 0 || v.currentTime > 0)) {
          last = now;
          if (!playing) {
            playing = true;
            this._attemptPlayed = true;
            this._failures = 0;
            this._emit('playing', MSG.playing, this._note || {});
          }
        }
      }
      if (v.paused && v.readyState >= 2) this._play();
      if (!playing && now - started > FALLBACK_MS + (this.transport === 'mse' ? 4000 : 0)) {
        this._fail(gen, new PlayerError(MSG.noFrames[0], MSG.noFrames[1], { fallback: true }));
      } else if (playing && now - last > STALL_MS) {
        this._fail(gen, new PlayerError(MSG.dropped[0], MSG.dropped[1]));
      }
    }, 250);
  }

  async _startWebRTC(gen) {
    if (!window.RTCPeerConnection) throw new PlayerError(MSG.noWebRTC[0], MSG.noWebRTC[1], { fallback: true });
    const pc = new RTCPeerConnection({ iceServers: [] });
    this._pc = pc;
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const stream = new MediaStream();
    pc.ontrack = (ev) => {
      if (gen !== this._gen) return;
      stream.addTrack(ev.track);
      if (this.video.srcObject !== stream) this.video.srcObject = stream;
      this._play();
    };
    pc.onconnectionstatechange = () => {
      if (gen !== this._gen) return;
      if (pc.connectionState === 'failed' || pc.connectionState === 'closed') {
        this._fail(gen, new PlayerError(MSG.dropped[0], MSG.dropped[1], { fallback: !this._attemptPlayed }));
      }
    };
    await pc.setLocalDescription(await pc.createOffer());
    await waitGathering(pc, 1500); // host candidates only: quick
    const url = this._url('whep');
    let res;
    try {
      res = await fetch(url, {
        method: 'POST', body: pc.localDescription.sdp, credentials: 'same-origin',
        headers: { 'Content-Type': 'application/sdp', 'X-CSRF-Token': this.opts.csrf },
      });
    } catch (_) {
      throw new PlayerError(MSG.network[0], MSG.network[1]);
    }
    if (gen !== this._gen) {
      const loc = res.headers.get('Location');
      if (res.status === 201 && loc) {
        fetch(new URL(loc, url), { method: 'DELETE', headers: { 'X-CSRF-Token': this.opts.csrf } }).catch(() => {});
      }
      return;
    }
    if (res.status !== 201) throw await serverError(res);
    this._location = new URL(res.headers.get('Location'), url).href;
    this._note = res.headers.get('X-Live-Audio-Note') === 'aac'
      ? { note_vi: 'Âm thanh AAC không truyền được qua WebRTC: chỉ có hình', note_en: 'AAC sound cannot go over WebRTC: video only' }
      : null;
    await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
    // The server closes DTLS when the camera's stream ends: notice at once
    // rather than after the ICE timeouts.
    const dtls = pc.getReceivers().map((r) => r.transport).find((t) => t);
    if (dtls) {
      dtls.addEventListener('statechange', () => {
        if (gen === this._gen && (dtls.state === 'closed' || dtls.state === 'failed')) {
          this._fail(gen, new PlayerError(MSG.dropped[0], MSG.dropped[1], { fallback: !this._attemptPlayed }));
        }
      });
    }
    this._watchFrames(gen);
  }

  async _startMSE(gen) {
    if (!window.MediaSource) throw new PlayerError(MSG.noMSE[0], MSG.noMSE[1], { permanent: true });
    const url = this._url('mse');
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    this._ws = ws;
    let serverErr = null;
    ws.onmessage = (ev) => {
      if (gen !== this._gen) return;
      if (typeof ev.data !== 'string') {
        this._mseAppend(gen, ev.data);
        return;
      }
      let m;
      try { m = JSON.parse(ev.data); } catch (_) { return; }
      if (m.error) {
        serverErr = errorFrom(m.error, 0);
        serverErr.fallback = false;
        return;
      }
      this._mseOpen(gen, m);
    };
    ws.onclose = (ev) => {
      if (gen !== this._gen) return;
      if (serverErr) this._fail(gen, serverErr);
      else if (ev.code === 4001) this._fail(gen, new PlayerError(MSG.ended[0], MSG.ended[1]));
      else this._fail(gen, new PlayerError(MSG.dropped[0], MSG.dropped[1]));
    };
    this._watchFrames(gen, () => this._mseLiveEdge());
  }

  // _mseOpen starts a MediaSource for a stream header (again when the
  // camera's stream changes, e.g. a new resolution).
  _mseOpen(gen, hdr) {
    if (!MediaSource.isTypeSupported(hdr.mime)) {
      const [vi, en] = codecMessage(hdr.codec, this.opts.stream);
      this._fail(gen, new PlayerError(vi, en, { permanent: true, code: 'codec' }));
      return;
    }
    this._closeMediaSource();
    this._note = hdr.audio_note ? { note_vi: hdr.audio_note_vi, note_en: hdr.audio_note } : null;
    const ms = new MediaSource();
    const m = { ms, sb: null, queue: [], url: URL.createObjectURL(ms) };
    this._mse = m;
    ms.addEventListener('sourceopen', () => {
      if (this._mse !== m) return;
      URL.revokeObjectURL(m.url);
      try {
        m.sb = ms.addSourceBuffer(hdr.mime);
        m.sb.mode = 'segments';
      } catch (_) {
        const [vi, en] = codecMessage(hdr.codec, this.opts.stream);
        this._fail(gen, new PlayerError(vi, en, { permanent: true }));
        return;
      }
      m.sb.addEventListener('updateend', () => this._msePump());
      m.sb.addEventListener('error', () => this._fail(gen, new PlayerError(MSG.dropped[0], MSG.dropped[1])));
      this._msePump();
    }, { once: true });
    this.video.srcObject = null;
    this.video.src = m.url;
    this._play();
  }

  _mseAppend(gen, data) {
    const m = this._mse;
    if (!m) return;
    m.queue.push(data);
    if (m.queue.length > MSE_MAX_QUEUE) {
      this._fail(gen, new PlayerError(MSG.dropped[0], MSG.dropped[1]));
      return;
    }
    this._msePump();
  }

  _msePump() {
    const m = this._mse;
    if (!m || !m.sb || m.sb.updating || m.ms.readyState !== 'open') return;
    const v = this.video;
    const b = m.sb.buffered;
    // Trim what was played long ago, so memory stays flat for hours.
    if (b.length && v.currentTime - b.start(0) > MSE_KEEP_S * 2) {
      m.sb.remove(b.start(0), v.currentTime - MSE_KEEP_S);
      return;
    }
    if (!m.queue.length) return;
    try {
      m.sb.appendBuffer(m.queue.shift());
    } catch (e) {
      if (e.name === 'QuotaExceededError' && b.length) {
        m.sb.remove(b.start(0), Math.max(b.start(0) + 0.1, v.currentTime - 1));
      } else {
        this._fail(this._gen, new PlayerError(MSG.dropped[0], MSG.dropped[1]));
      }
    }
  }

  // _mseLiveEdge keeps the picture near the newest frame: a little faster
  // when slightly behind, a jump when more than a second behind.
  _mseLiveEdge() {
    const m = this._mse;
    const v = this.video;
    if (!m || !m.sb) return;
    const b = m.sb.buffered;
    if (!b.length) return;
    const end = b.end(b.length - 1);
    const behind = end - v.currentTime;
    if (v.currentTime < b.start(0) || behind > MSE_MAX_BEHIND_S) {
      v.currentTime = Math.max(b.start(b.length - 1), end - 0.15);
    }
    v.playbackRate = behind > 0.4 ? 1.1 : 1.0;
  }

  _closeMediaSource() {
    const m = this._mse;
    this._mse = null;
    if (!m) return;
    if (m.ms.readyState === 'open') {
      try { m.ms.endOfStream(); } catch (_) { /* already ending */ }
    }
    URL.revokeObjectURL(m.url);
  }
}
