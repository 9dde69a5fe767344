// Map geometry shared by the camera map and the public transparency page.

const TILE = 256;

// project returns the world pixel of a place at zoom z (Web Mercator).
export function project(lat, lng, z = 0) {
  const s = TILE * 2 ** z;
  const phi = Math.max(-85.0511, Math.min(85.0511, lat)) * Math.PI / 180;
  return [(lng + 180) / 360 * s, (1 - Math.log(Math.tan(phi) + 1 / Math.cos(phi)) / Math.PI) / 2 * s];
}

// placed reports whether a camera has a real place (0, 0 means none given).
export const placed = (c) => Number.isFinite(c.latitude) && Number.isFinite(c.longitude) && !(c.latitude === 0 && c.longitude === 0) &&
  Math.abs(c.latitude) <= 90 && Math.abs(c.longitude) <= 180;

// hull is the convex hull of points (Andrew's monotone chain).
export function hull(points) {
  const p = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return p;
  const cross = (o, a, b) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower = [];
  for (const q of p) { while (lower.length >= 2 && cross(lower.at(-2), lower.at(-1), q) <= 0) lower.pop(); lower.push(q); }
  const upper = [];
  for (const q of p.reverse()) { while (upper.length >= 2 && cross(upper.at(-2), upper.at(-1), q) <= 0) upper.pop(); upper.push(q); }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}
