// Privacy masks over a video: a camera's masked areas drawn opaque on a
// canvas laid over the picture, where object-fit: contain puts it. The
// recorded and exported copies are masked by the node itself; live view and
// playback in the browser get the masks drawn here.

export function overlayMasks(video, masks) {
  const c = document.createElement('canvas');
  c.className = 'privacy-masks';
  c.setAttribute('aria-hidden', 'true');
  video.after(c);
  let current = masks || [];
  const draw = () => {
    c.width = c.clientWidth; c.height = c.clientHeight;
    const g = c.getContext('2d');
    g.clearRect(0, 0, c.width, c.height);
    c.dataset.masks = String(current.length);
    if (!current.length) return;
    // Before the first frame the size is unknown: assume 16:9, as cameras are.
    const vw = video.videoWidth || 16, vh = video.videoHeight || 9;
    const sc = Math.min(c.width / vw, c.height / vh), dw = vw * sc, dh = vh * sc;
    const ox = (c.width - dw) / 2, oy = (c.height - dh) / 2;
    g.fillStyle = '#000';
    for (const m of current) {
      g.beginPath();
      m.polygon.forEach((p, i) => (i ? g.lineTo : g.moveTo).call(g, ox + p.x * dw, oy + p.y * dh));
      g.closePath();
      g.fill();
    }
  };
  const ro = new ResizeObserver(draw);
  ro.observe(c);
  video.addEventListener('loadedmetadata', draw);
  video.addEventListener('resize', draw);
  draw();
  return {
    update(m) { current = m || []; draw(); },
    remove() { ro.disconnect(); c.remove(); },
  };
}
