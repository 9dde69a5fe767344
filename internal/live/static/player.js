// LivePlayer plays one camera stream live in a <video> element: WebRTC
// (WHEP) for sub-second latency, or fragmented MP4 over a WebSocket into
// Media Source Extensions when WebRTC cannot connect. No dependencies.
//
//   import { LivePlayer } from '/live/player.js';
//   const p = new LivePlayer(videoEl, { camera: 'cam-001', stream: 'sub', csrf, transport: 'auto' });
//   p.onstate = (s) => { /* s.state: connecting | playing | error | stopped */ };
//   p.start(); … p.stop();
//
// With { measure: true } the player also measures glass-to-glass latency
// (bench/live): the simulator stamps each frame's send time into an SEI
// message, and p.latency() compares it with when each frame is shown.

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

// --- Glass-to-glass measurement (opts.measure) ---------------------------
// `matthan sim` writes the wall time it sends each frame into an SEI
// user_data_unregistered message: the UUID "MATTHAN.WALLTIME", then Unix
// microseconds, 8 bytes big-endian (internal/sim/stamp.go).

const STAMP_UUID = [77, 65, 84, 84, 72, 65, 78, 46, 87, 65, 76, 76, 84, 73, 77, 69];
const MEASURE_MAX_SAMPLES = 100000; // ~1 h at 25 fps
const MEASURE_MAX_PENDING = 300; // stamps of frames not yet shown

// stampOfNAL returns the stamp (ms since the Unix epoch) in one NAL unit,
// H.264 or H.265 (header included, emulation prevention bytes in place),
// or null when it is not a stamp.
export function stampOfNAL(nal) {
  let i;
  if (nal.length > 1 && (nal[0] & 0x9f) === 6) i = 1; // H.264 SEI
  else if (nal.length > 2 && (nal[0] >> 1 & 0x3f) === 39) i = 2; // H.265 prefix SEI
  else return null;
  if (nal.length > 96) return null; // ours is ~30 bytes: skip big SEIs unread
  const b = []; // the RBSP: emulation prevention bytes removed
  let zeros = 0;
  for (; i < nal.length; i++) {
    const c = nal[i];
    if (zeros >= 2 && c === 3) { zeros = 0; continue; }
    b.push(c);
    zeros = c === 0 ? zeros + 1 : 0;
  }
  let p = 0;
  while (p < b.length && b[p] !== 0x80) { // 0x80: the RBSP's trailing bits
    let type = 0;
    let size = 0;
    while (b[p] === 0xff) { type += 255; p++; }
    type += b[p++];
    while (b[p] === 0xff) { size += 255; p++; }
    size += b[p++];
    if (!(p + size <= b.length)) return null;
    if (type === 5 && size >= 24 && STAMP_UUID.every((x, k) => b[p + k] === x)) {
      let us = 0;
      for (let k = 16; k < 24; k++) us = us * 256 + b[p + k]; // < 2^53 until the year 2255
      return us / 1000;
    }
    p += size;
  }
  return null;
}

// stampOfAnnexB finds a stamp in an access unit with start codes (what a
// WebRTC receiver's encoded frame holds).
export function stampOfAnnexB(buf) {
  const n = buf.length;
  let start = -1;
  for (let i = 0; i + 2 < n; i++) {
    if (buf[i] !== 0 || buf[i + 1] !== 0 || buf[i + 2] !== 1) continue;
    if (start >= 0) {
      const end = i > start && buf[i - 1] === 0 ? i - 1 : i; // 4-byte start code
      const s = stampOfNAL(buf.subarray(start, end));
      if (s !== null) return s;
    }
    start = i + 3;
    i += 2;
  }
  return start >= 0 && start < n ? stampOfNAL(buf.subarray(start)) : null;
}

function box(b, p) { // [size, type] of the box at p, or null
  if (p + 8 > b.length) return null;
  const v = new DataView(b.buffer, b.byteOffset + p);
  let size = v.getUint32(0);
  if (size === 1 && p + 16 <= b.length) size = v.getUint32(8) * 2 ** 32 + v.getUint32(12);
  else if (size === 0) size = b.length - p;
  if (size < 8 || p + size > b.length) return null;
  return [size, String.fromCharCode(b[p + 4], b[p + 5], b[p + 6], b[p + 7])];
}

function children(b, from, to, want) { // offset of the first child box named want
  for (let p = from; p < to;) {
    const x = box(b.subarray(0, to), p);
    if (!x) return -1;
    if (x[1] === want) return p;
    p += x[0];
  }
  return -1;
}

// timescaleOfInit reads the first track's time scale (mdhd) from an init
// segment, or 0.
export function timescaleOfInit(b) {
  let p = children(b, 0, b.length, 'moov');
  for (const name of ['trak', 'mdia', 'mdhd']) {
    if (p < 0) return 0;
    const x = box(b, p);
    p = children(b, p + 8, p + x[0], name);
  }
  if (p < 0) return 0;
  const v = new DataView(b.buffer, b.byteOffset + p);
  return b[p + 8] === 1 ? v.getUint32(28) : v.getUint32(20);
}

// stampsOfFragment returns [[presentation time in seconds, stamp ms], …]
// for the samples of one moof+mdat fragment with a stamp (length-prefixed
// NAL units, as MP4 stores them).
export function stampsOfFragment(b, timescale) {
  const out = [];
  const moof = children(b, 0, b.length, 'moof');
  if (moof < 0 || !timescale) return out;
  const moofEnd = moof + box(b, moof)[0];
  const traf = children(b, moof + 8, moofEnd, 'traf');
  if (traf < 0) return out;
  const trafEnd = traf + box(b, traf)[0];
  const at = (name) => children(b, traf + 8, trafEnd, name);
  const dv = (p) => new DataView(b.buffer, b.byteOffset + p);
  let defDur = 0;
  let defSize = 0;
  const tfhd = at('tfhd');
  if (tfhd >= 0) {
    const f = dv(tfhd).getUint32(8) & 0xffffff;
    let q = tfhd + 16;
    if (f & 0x1) q += 8;
    if (f & 0x2) q += 4;
    if (f & 0x8) { defDur = dv(q).getUint32(0); q += 4; }
    if (f & 0x10) defSize = dv(q).getUint32(0);
  }
  let t = 0;
  const tfdt = at('tfdt');
  if (tfdt >= 0) t = b[tfdt + 8] === 1 ? dv(tfdt).getUint32(12) * 2 ** 32 + dv(tfdt).getUint32(16) : dv(tfdt).getUint32(12);
  const trun = at('trun');
  if (trun < 0) return out;
  const v = dv(trun);
  const version = b[trun + 8];
  const f = v.getUint32(8) & 0xffffff;
  const count = v.getUint32(12);
  let q = 16;
  let data = -1;
  if (f & 0x1) { data = moof + v.getInt32(q); q += 4; }
  if (f & 0x4) q += 4;
  if (data < 0) {
    const mdat = children(b, moofEnd, b.length, 'mdat');
    if (mdat < 0) return out;
    data = mdat + 8;
  }
  for (let k = 0; k < count && q <= box(b, trun)[0]; k++) {
    let dur = defDur;
    let size = defSize;
    let cto = 0;
    if (f & 0x100) { dur = v.getUint32(q); q += 4; }
    if (f & 0x200) { size = v.getUint32(q); q += 4; }
    if (f & 0x400) q += 4;
    if (f & 0x800) { cto = version ? v.getInt32(q) : v.getUint32(q); q += 4; }
    for (let p = data; p + 4 <= data + size && p + 4 <= b.length;) {
      const len = dv(p).getUint32(0);
      const s = stampOfNAL(b.subarray(p + 4, Math.min(p + 4 + len, b.length)));
      if (s !== null) { out.push([(t + cto) / timescale, s]); break; }
      p += 4 + len;
    }
    data += size;
    t += dur;
  }
  return out;
}

function percentile(sorted, q) { // nearest rank, as bench/live computes it
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export class LivePlayer {
  constructor(video, opts = {}) {
    this.video = video;
    this.opts = { stream: 'sub', transport: 'auto', base: '', csrf: '', muted: true, measure: false, ...opts };
    this.onstate = null;
    this.state = { state: 'stopped', transport: null, message_vi: MSG.stopped[0], message_en: MSG.stopped[1] };
    this.transport = null;
    this._gen = 0; // bumped by every (re)connect and stop: late callbacks of older ones do nothing
    this._failures = 0;
    this._useMSE = false;
    this._timer = null;
    this._measure = null; // opts.measure: stamps seen, latencies of frames shown
  }

  start() {
    this.stop(true);
    this._failures = 0;
    this._useMSE = this.opts.transport === 'mse';
    const v = this.video;
    v.muted = this.opts.muted;
    v.autoplay = true;
    v.playsInline = true;
    if (this.opts.measure) this._measureStart();
    this._connect();
  }

  stop(quiet = false) {
    this._gen++;
    this._teardown();
    this._measureStop();
    if (!quiet) this._emit('stopped', MSG.stopped);
  }

  // stats says what the element has shown so far.
  stats() {
    const q = this.video.getVideoPlaybackQuality ? this.video.getVideoPlaybackQuality() : null;
    return { transport: this.transport, frames: q ? q.totalVideoFrames : 0, time: this.video.currentTime };
  }

  // latency says how late the frames shown since the last clear were:
  // {transport, samples, median_ms, p95_ms, browser_median_ms (of that, the
  // time from the frame reaching the page, assembled from its RTP packets or
  // as a WebSocket message, to its display), unmatched (frames shown without
  // a stamp), reason (why nothing is measured)}; with raw, every sample
  // (ms); with clear, starts a new count. Null without opts.measure.
  latency({ clear = false, raw = false } = {}) {
    const m = this._measure;
    if (!m) return null;
    const sorted = m.samples.slice().sort((a, b) => a - b);
    const out = { transport: this.transport, samples: sorted.length, median_ms: percentile(sorted, 0.5),
      p95_ms: percentile(sorted, 0.95), browser_median_ms: percentile(m.inBrowser.slice().sort((a, b) => a - b), 0.5),
      unmatched: m.unmatched, reason: sorted.length ? '' : m.reason };
    if (raw) out.values = m.samples.slice();
    if (clear) {
      m.samples = [];
      m.inBrowser = [];
      m.unmatched = 0;
    }
    return out;
  }

  // _measureStart follows every frame the element shows: its stamp, looked
  // up by RTP timestamp (WebRTC) or media time (MSE), against the time the
  // browser expects to show it.
  _measureStart() {
    const v = this.video;
    const m = { samples: [], inBrowser: [], unmatched: 0, stamps: new Map(), timescale: 0, cb: 0, reason: '' };
    if (!v.requestVideoFrameCallback) m.reason = 'this browser has no requestVideoFrameCallback';
    this._measure = m;
    const shown = (_, md) => {
      if (this._measure !== m) return;
      m.cb = v.requestVideoFrameCallback(shown);
      let key = null;
      if (this.transport === 'webrtc' && md.rtpTimestamp !== undefined) key = md.rtpTimestamp;
      else if (this.transport === 'mse') key = Math.round(md.mediaTime * 1000);
      if (key !== null && this.transport === 'mse' && !m.stamps.has(key)) {
        key = m.stamps.has(key - 1) ? key - 1 : key + 1; // rounding at the edge of a millisecond
      }
      const found = key === null ? undefined : m.stamps.get(key);
      if (found === undefined) {
        m.unmatched++;
        return;
      }
      m.stamps.delete(key);
      const [stamp, arrived] = found;
      if (m.samples.length < MEASURE_MAX_SAMPLES) {
        m.samples.push(performance.timeOrigin + md.expectedDisplayTime - stamp);
        m.inBrowser.push(md.expectedDisplayTime - arrived);
      }
    };
    if (v.requestVideoFrameCallback) m.cb = v.requestVideoFrameCallback(shown);
  }

  _measureStop() {
    const m = this._measure;
    if (m && m.cb && this.video.cancelVideoFrameCallback) this.video.cancelVideoFrameCallback(m.cb);
    if (m) m.cb = 0;
  }

  _measureKeep(key, stamp) {
    const stamps = this._measure.stamps;
    stamps.set(key, [stamp, performance.now()]); // and when the frame reached the page
    if (stamps.size > MEASURE_MAX_PENDING) stamps.delete(stamps.keys().next().value); // frames never shown
  }

  // _tapEncoded reads the stamp of every encoded frame a receiver gets and
  // passes the frame on untouched. With encodedInsertableStreams every
  // receiver, audio too, must be piped, or its frames stop.
  _tapEncoded(receiver, video) {
    let streams;
    try {
      streams = receiver.createEncodedStreams();
    } catch (e) {
      this._measure.reason = 'createEncodedStreams: ' + e.message;
      return;
    }
    if (!video) {
      streams.readable.pipeTo(streams.writable).catch(() => {});
      return;
    }
    const m = this._measure;
    const read = new TransformStream({
      transform: (frame, out) => {
        if (this._measure === m) {
          let stamp = null;
          try { stamp = stampOfAnnexB(new Uint8Array(frame.data)); } catch (_) { /* not ours */ }
          const md = frame.getMetadata();
          const ts = md.rtpTimestamp ?? frame.timestamp;
          if (stamp !== null && ts !== undefined) this._measureKeep(ts, stamp);
        }
        out.enqueue(frame);
      },
    });
    streams.readable.pipeThrough(read).pipeTo(streams.writable).catch(() => {});
  }

  // _measureFragment reads the init segment's time scale, then the stamps of
  // every fragment, keyed by presentation time in ms.
  _measureFragment(data) {
    const m = this._measure;
    const b = new Uint8Array(data);
    let ts = 0;
    try { ts = timescaleOfInit(b); } catch (_) { /* not an init segment */ }
    if (ts) {
      m.timescale = ts;
      return;
    }
    try {
      for (const [t, stamp] of stampsOfFragment(b, m.timescale)) this._measureKeep(Math.round(t * 1000), stamp);
    } catch (_) { /* a fragment we cannot read has no stamp for us */ }
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
    if (this._measure) this._measure.stamps.clear(); // keys of the last attempt mean nothing now
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
    const tap = this._measure && 'createEncodedStreams' in RTCRtpReceiver.prototype;
    const pc = new RTCPeerConnection(tap ? { iceServers: [], encodedInsertableStreams: true } : { iceServers: [] });
    this._pc = pc;
    if (this._measure && !tap) this._measure.reason = 'this browser has no RTCRtpReceiver.createEncodedStreams';
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const stream = new MediaStream();
    pc.ontrack = (ev) => {
      if (tap) this._tapEncoded(ev.receiver, ev.track.kind === 'video');
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
    if (this._measure) this._measureFragment(data);
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
