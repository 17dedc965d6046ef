// The live race map's pure helpers and its blob registry: no DOM, so Node's test runner
// checks them (tests/js/live_map_core.test.mjs). app/live_map.py puts this text in front
// of live_map.js and live_map_blob.js (each component is one module: they cannot import
// a file), and the offline export in front of the map; the registry is declared here only.

export const MISSING = 65535; // a coordinate that is not finite (views/live_map.py MISSING)
export const LEVELS = 65534; // quantized coordinates run 0 … LEVELS
const TYPES = { u1: Uint8Array, u2: Uint16Array, i4: Int32Array, f4: Float32Array };
export const ID_LENGTH = 16; // a carried blob starts with its id, 16 ASCII characters

// The blobs the map draws, by id, shared by the carriers (which put them in) and the maps
// (which read them). A blob lives exactly as long as a carrier element holds it: each
// carrier holds the blob it shows now, so every blob the current race names is there,
// whatever order the carriers and the race arrived in, and nothing else piles up.
//   raw: id → bytes; holders: id → Set of holders; held: holder → id;
//   listeners: called when a blob arrives (a map waiting for it draws).
export function sharedRegistry(scope) {
  scope.__momentumViz ??= { raw: new Map(), holders: new Map(), held: new Map(), listeners: new Set() };
  return scope.__momentumViz;
}

// `holder` (a carrier's element) now holds blob `id`; the blob it held before is let go.
export function holdBlob(registry, holder, id, bytes) {
  if (registry.held.get(holder) === id) return;
  releaseBlob(registry, holder);
  registry.held.set(holder, id);
  if (!registry.holders.has(id)) registry.holders.set(id, new Set());
  registry.holders.get(id).add(holder);
  if (registry.raw.has(id)) return;
  registry.raw.set(id, bytes);
  for (const listener of registry.listeners) listener();
}

// `holder` holds nothing any more; a blob no holder holds is dropped.
export function releaseBlob(registry, holder) {
  const id = registry.held.get(holder);
  if (id === undefined) return;
  registry.held.delete(holder);
  const holders = registry.holders.get(id);
  holders.delete(holder);
  if (holders.size) return;
  registry.holders.delete(id);
  registry.raw.delete(id);
}

export function toBytes(data) {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}

// views/live_map.py pack(): "MVP1", uint32 LE count, count uint32 LE lengths, the parts.
// The parts (views of `bytes`), or null when `bytes` is not a pack.
export function unpack(bytes) {
  if (!bytes || bytes.length < 8 || String.fromCharCode(...bytes.subarray(0, 4)) !== "MVP1") return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(4, true);
  const parts = [];
  let at = 8 + 4 * count;
  for (let i = 0; i < count; i++) {
    const length = view.getUint32(8 + 4 * i, true);
    parts.push(bytes.subarray(at, at + length));
    at += length;
  }
  return parts;
}

// A carried blob: {id, body}, or null when the bytes are too short to be one.
export function splitCarried(bytes) {
  if (!bytes || bytes.length < ID_LENGTH) return null;
  return { id: new TextDecoder().decode(bytes.subarray(0, ID_LENGTH)), body: bytes.slice(ID_LENGTH) };
}

// The blob format of views/live_map.py: "MVZ1", header length, JSON header, arrays.
export function decode(bytes) {
  const copy = bytes.slice(); // offset 0: typed arrays need aligned offsets
  const view = new DataView(copy.buffer);
  if (String.fromCharCode(...copy.subarray(0, 4)) !== "MVZ1") throw new Error("not a blob");
  const length = view.getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(copy.subarray(8, 8 + length)));
  const body = Math.ceil((8 + length) / 8) * 8;
  const arrays = {};
  for (const [name, spec] of Object.entries(header.arrays)) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    arrays[name] = new TYPES[spec.dtype](copy.buffer, body + spec.offset, count);
    arrays[name].shape = spec.shape;
  }
  return { header, arrays };
}

// uint16 codes (x, y pairs) over box [x0, y0, x1, y1] → coordinates; MISSING → NaN.
export function dequantize(codes, box) {
  const [x0, y0, x1, y1] = box;
  const out = new Float64Array(codes.length);
  for (let i = 0; i < codes.length; i += 2) {
    if (codes[i] === MISSING || codes[i + 1] === MISSING) {
      out[i] = out[i + 1] = NaN;
    } else {
      out[i] = x0 + (codes[i] / LEVELS) * (x1 - x0);
      out[i + 1] = y0 + (codes[i + 1] / LEVELS) * (y1 - y0);
    }
  }
  return out;
}

// About `count` round tick values in [lo, hi] (steps of 1, 2, 2.5 or 5 × a power of 10).
export function niceTicks(lo, hi, count) {
  const raw = (hi - lo) / count;
  // A zero or lost step (a flat range, or one below the rounding of lo) would never end.
  if (!(raw > 1e-12 * Math.max(Math.abs(lo), Math.abs(hi))) || !Number.isFinite(raw)) return [lo];
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  // The roundest step near the asked-for one (up to a third more ticks than asked).
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= 0.75 * raw) ?? raw;
  const ticks = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return ticks;
}

// A tick's label: at most 6 significant digits, a true minus sign.
export function formatTick(v) {
  return Number(Number(v).toPrecision(6)).toString().replace("-", "−");
}

// True when a path has a point that is not finite or lies outside the map's bounds.
export function leavesMap(points, [xmin, xmax, ymin, ymax]) {
  for (let i = 0; i < points.length; i += 2) {
    const x = points[i];
    const y = points[i + 1];
    if (!(x >= xmin && x <= xmax && y >= ymin && y <= ymax)) return true;
  }
  return false;
}

// The points up to step `upTo` (a settled path has one point per step; a family's path
// is thinned and drawn whole).
export function prefix(path, upTo) {
  if (!path.settled || !Number.isFinite(upTo)) return path.points;
  return path.points.subarray(0, Math.min(path.points.length, (upTo + 1) * 2));
}

// The last finite point at or before step `upTo`: where a run's marker sits.
export function headPoint(points, upTo) {
  const end = Number.isFinite(upTo) ? Math.min(points.length / 2 - 1, upTo) : points.length / 2 - 1;
  for (let i = end; i >= 0; i--) {
    if (Number.isFinite(points[2 * i])) return [points[2 * i], points[2 * i + 1]];
  }
  return null;
}

// The index of the stop in `values` equal to `value` up to rounding (a stop that went
// through text may differ in its last digits), or -1 when no stop is that value.
export function stopIndex(values, value) {
  if (!Number.isFinite(value)) return -1;
  let best = -1;
  for (let i = 0; i < values.length; i++) {
    if (best < 0 || Math.abs(values[i] - value) < Math.abs(values[best] - value)) best = i;
  }
  return best >= 0 && Math.abs(values[best] - value) <= 1e-9 * Math.abs(value) + 1e-15 ? best : -1;
}

// --- The anatomy of a step (drawAnatomy in live_map.js) ---------------------------------

// The source rectangle [sx, sy, sw, sh] (image px) of the surface's image, which covers
// `bounds` [xmin, xmax, ymin, ymax], that a map zoomed on `shown` [x0, x1, y0, y1]
// draws: x runs right in both, y up on the map and down in the image.
export function imageWindow([xmin, xmax, ymin, ymax], [x0, x1, y0, y1], width, height) {
  const sx = ((x0 - xmin) / (xmax - xmin)) * width;
  const sy = ((ymax - y1) / (ymax - ymin)) * height;
  return [sx, sy, ((x1 - x0) / (xmax - xmin)) * width, ((y1 - y0) / (ymax - ymin)) * height];
}

// The three corners of an arrowhead `size` px long (and as wide) on screen, its point
// on `tip`, pointing from `tail` to `tip`; null for an arrow of no length.
export function arrowHead([tx, ty], [hx, hy], size) {
  const length = Math.hypot(hx - tx, hy - ty);
  if (!(length > 0)) return null;
  const [ux, uy] = [(hx - tx) / length, (hy - ty) / length];
  const [bx, by] = [hx - ux * size, hy - uy * size];
  const half = size / 2;
  return [[hx, hy], [bx - uy * half, by + ux * half], [bx + uy * half, by - ux * half]];
}

// The distance (px) from point p to the segment from a to b.
export function segmentDistance([px, py], [ax, ay], [bx, by]) {
  const [dx, dy] = [bx - ax, by - ay];
  const squared = dx * dx + dy * dy;
  const t = squared > 0 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / squared)) : 0;
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

// The index of the segment ([a, b] pairs, px) nearest to `point` and at most `reach`
// px from it, or -1; the later of two equally near wins (it is drawn on top).
export function nearestSegment(point, segments, reach) {
  let best = -1;
  let bestDistance = reach;
  segments.forEach(([a, b], i) => {
    const distance = segmentDistance(point, a, b);
    if (distance <= bestDistance) [best, bestDistance] = [i, distance];
  });
  return best;
}

// --- Colours: which theme a page colour belongs to ---------------------------------------

// "#rgb", "#rrggbb", "rgb(r, g, b)" or "rgba(r, g, b, a)" → [r, g, b, a] (0–255, a 0–1),
// or null for anything else (a named or system colour).
export function parseColor(text) {
  const css = String(text ?? "").trim().toLowerCase();
  let hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/.exec(css)?.[1];
  if (hex) {
    if (hex.length === 3) hex = [...hex].map((c) => c + c).join("");
    return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)).concat(1);
  }
  const parts = /^rgba?\(([^)]*)\)$/.exec(css)?.[1].split(/[\s,/]+/).filter(Boolean).map(Number);
  if (!parts || parts.length < 3 || parts.some((v) => !Number.isFinite(v))) return null;
  return [parts[0], parts[1], parts[2], parts[3] ?? 1];
}

// WCAG 2's relative luminance of [r, g, b] (0–255): 0 black … 1 white.
export function relativeLuminance([r, g, b]) {
  const linear = (c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}
