// The live race map's pure helpers, without a browser: `node --test tests/js/`
// (tests/test_live_map_node.py runs it under pytest). Expected values are worked out by
// hand in the comments, not read back from the code.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  arrowHead,
  decode,
  dequantize,
  formatTick,
  headPoint,
  holdBlob,
  imageWindow,
  leavesMap,
  LEVELS,
  MISSING,
  nearestSegment,
  niceTicks,
  prefix,
  releaseBlob,
  segmentDistance,
  sharedRegistry,
  splitCarried,
  stopIndex,
  unpack,
} from "../../momentum_viz/app/live_map_core.mjs";

// A blob as views/live_map.py encode() writes it: "MVZ1", uint32 LE header length, the
// JSON header, spaces to a multiple of 8, then each array 8-byte aligned.
function blob(header, arrays) {
  const layout = {};
  const bodies = [];
  let offset = 0;
  for (const [name, [dtype, shape, typed]] of Object.entries(arrays)) {
    offset = Math.ceil(offset / 8) * 8;
    layout[name] = { dtype, shape, offset };
    bodies.push([offset, new Uint8Array(typed.buffer)]);
    offset += typed.byteLength;
  }
  const text = new TextEncoder().encode(JSON.stringify({ ...header, arrays: layout }));
  const start = Math.ceil((8 + text.length) / 8) * 8;
  const out = new Uint8Array(start + offset).fill(32, 8 + text.length, start);
  out.set(new TextEncoder().encode("MVZ1"));
  new DataView(out.buffer).setUint32(4, text.length, true);
  out.set(text, 8);
  for (const [at, bytes] of bodies) out.set(bytes, start + at);
  return out;
}

test("decode reads the header and every array at its offset", () => {
  const bytes = blob({ kind: "race", steps: 2 }, {
    paths: ["u2", [1, 3, 2], new Uint16Array([0, 1, 2, 3, 65534, 65535])],
    offsets: ["i4", [2], new Int32Array([-7, 9])],
    iso: ["f4", [1], new Float32Array([0.5])],
  });
  const { header, arrays } = decode(bytes.subarray(0)); // a view: decode copies it
  assert.equal(header.kind, "race");
  assert.equal(header.steps, 2);
  assert.deepEqual(Array.from(arrays.paths), [0, 1, 2, 3, 65534, 65535]);
  assert.deepEqual(arrays.paths.shape, [1, 3, 2]);
  assert.deepEqual(Array.from(arrays.offsets), [-7, 9]);
  assert.deepEqual(Array.from(arrays.iso), [0.5]);
});

test("decode refuses bytes that are not a blob", () => {
  assert.throws(() => decode(new TextEncoder().encode("PNG\0\0\0\0\0")), /not a blob/);
});

test("dequantize maps codes over the box, MISSING to NaN", () => {
  // Box x in [-1, 3], y in [10, 20]: code 0 → the low edge, LEVELS → the high edge,
  // LEVELS/2 → the middle (1, 15).
  const box = [-1, 10, 3, 20];
  const out = dequantize(new Uint16Array([0, LEVELS, LEVELS / 2, LEVELS / 2, MISSING, 5]), box);
  assert.deepEqual(Array.from(out.subarray(0, 4)), [-1, 20, 1, 15]);
  assert.ok(Number.isNaN(out[4]) && Number.isNaN(out[5]));
});

test("niceTicks picks round steps inside the range", () => {
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1]);
  // (−2, 2) in about 4 ticks: step 1, and 0 exactly 0 (not −1e-16).
  assert.deepEqual(niceTicks(-2, 2, 4), [-2, -1, 0, 1, 2]);
  // (−1.5, 3.7) in about 3: raw step 1.73 → 2 (≥ 0.75 × 1.73), from −0 to 2.
  assert.deepEqual(niceTicks(-1.5, 3.7, 3), [0, 2]);
  // Every tick lies in the range.
  for (const v of niceTicks(-0.37, 12.9, 7)) assert.ok(v >= -0.37 && v <= 12.9);
});

test("formatTick writes at most 6 digits and a true minus", () => {
  assert.equal(formatTick(0.6000000000000001), "0.6");
  assert.equal(formatTick(-2.5), "−2.5");
  assert.equal(formatTick(1234567), "1234570");
});

test("leavesMap sees a point outside the bounds or not finite", () => {
  const bounds = [0, 1, 0, 1];
  assert.equal(leavesMap(new Float64Array([0, 0, 1, 1, 0.5, 0.5]), bounds), false);
  assert.equal(leavesMap(new Float64Array([0.5, 0.5, 1.01, 0.5]), bounds), true);
  assert.equal(leavesMap(new Float64Array([0.5, NaN]), bounds), true);
});

test("prefix and headPoint: the path up to a step and its last finite point", () => {
  const points = new Float64Array([0, 0, 1, 1, NaN, NaN, 3, 3]);
  assert.deepEqual(Array.from(prefix({ points, settled: true }, 1)), [0, 0, 1, 1]);
  assert.equal(prefix({ points, settled: false }, 1), points); // a family's path: whole
  assert.equal(prefix({ points, settled: true }, Infinity), points);
  assert.deepEqual(headPoint(points, 2), [1, 1]); // step 2 is NaN: the marker stays at 1
  assert.deepEqual(headPoint(points, Infinity), [3, 3]);
  assert.equal(headPoint(new Float64Array([NaN, NaN]), 0), null);
});

test("stopIndex finds a slider's stop, up to rounding, and nothing else", () => {
  const stops = [0, 0.5, 0.9, 0.99];
  assert.equal(stopIndex(stops, 0.9), 2);
  assert.equal(stopIndex(stops, 0.9 + 1e-13), 2);
  assert.equal(stopIndex(stops, 0), 0);
  assert.equal(stopIndex(stops, 0.95), -1);
  assert.equal(stopIndex(stops, Number("x")), -1);
  assert.equal(stopIndex([], 0.9), -1);
});

test("splitCarried: 16 characters of id, then the blob", () => {
  const bytes = new TextEncoder().encode("0123456789abcdefMVZ1");
  const carried = splitCarried(bytes);
  assert.equal(carried.id, "0123456789abcdef");
  assert.equal(new TextDecoder().decode(carried.body), "MVZ1");
  assert.equal(splitCarried(bytes.subarray(0, 15)), null);
});

test("the registry keeps exactly the blobs some holder holds", () => {
  const registry = sharedRegistry({});
  const arrivals = [];
  registry.listeners.add(() => arrivals.push(registry.raw.size));
  const [surface, family] = [{}, {}];
  holdBlob(registry, surface, "A", "a");
  holdBlob(registry, family, "B", "b");
  holdBlob(registry, family, "A", "a"); // B let go; A held twice
  assert.deepEqual([...registry.raw.keys()], ["A"]);
  holdBlob(registry, surface, "C", "c"); // A still held by the family
  assert.deepEqual([...registry.raw.keys()].sort(), ["A", "C"]);
  holdBlob(registry, surface, "C", "c"); // the same again: no news
  releaseBlob(registry, family);
  releaseBlob(registry, family); // twice: nothing more happens
  assert.deepEqual([...registry.raw.keys()], ["C"]);
  assert.deepEqual(arrivals, [1, 2, 2]); // A, B, C arrived; A's second holder is no news
});

test("sharedRegistry is one registry per scope", () => {
  const scope = {};
  assert.equal(sharedRegistry(scope), sharedRegistry(scope));
  assert.notEqual(sharedRegistry(scope), sharedRegistry({}));
});

test("niceTicks ends on a flat or rounding-lost range (one tick, no endless loop)", { timeout: 2000 }, () => {
  // A colour bar of a constant surface: lo = hi, a zero step.
  assert.deepEqual(niceTicks(5, 5, 4), [5]);
  // 1e18 + 1 is 1e18 in doubles: a step below the rounding of lo would never advance v.
  assert.deepEqual(niceTicks(1e18, 1e18 + 1000, 4), [1e18]);
});

test("imageWindow: the zoomed box's share of the surface's image, y flipped", () => {
  // Bounds x in [-4, 4], y in [-2, 2] on a 800 × 400 image; the box x in [0, 2],
  // y in [1, 2]: it starts at (0 − −4) / 8 · 800 = 400 px, 2/8 · 800 = 200 px wide; its
  // top y = 2 is the image's row 0, and it is 1/4 · 400 = 100 px high.
  assert.deepEqual(imageWindow([-4, 4, -2, 2], [0, 2, 1, 2], 800, 400), [400, 0, 200, 100]);
  // The whole bounds: the whole image.
  assert.deepEqual(imageWindow([-4, 4, -2, 2], [-4, 4, -2, 2], 800, 400), [0, 0, 800, 400]);
  // y in [-2, -1] is the bottom quarter: rows 300 to 400.
  assert.deepEqual(imageWindow([-4, 4, -2, 2], [-4, 4, -2, -1], 800, 400), [0, 300, 800, 100]);
});

test("arrowHead: the point on the tip, the base `size` behind it, `size` wide", () => {
  // Pointing right from (0, 0) to (10, 0), size 4: base centre (6, 0), corners 2 px up
  // and down.
  assert.deepEqual(arrowHead([0, 0], [10, 0], 4), [[10, 0], [6, 2], [6, -2]]);
  // Pointing down the screen (y grows): base centre (5, 7), corners 2 px left and right.
  const head = arrowHead([5, 0], [5, 10], 3);
  assert.deepEqual(head[0], [5, 10]);
  assert.deepEqual(head.slice(1).map(([x, y]) => [x, y]).sort(), [[3.5, 7], [6.5, 7]]);
  assert.equal(arrowHead([1, 1], [1, 1], 4), null);
});

test("segmentDistance and nearestSegment: the arrow under the pointer", () => {
  // To the segment (0,0)–(10,0): above its middle 3 px; beyond its end, to the end point.
  assert.equal(segmentDistance([5, 3], [0, 0], [10, 0]), 3);
  assert.equal(segmentDistance([13, 4], [0, 0], [10, 0]), 5); // 3-4-5 from (10, 0)
  assert.equal(segmentDistance([3, 4], [0, 0], [0, 0]), 5); // a point: the distance to it
  const segments = [
    [[0, 0], [10, 0]],
    [[0, 5], [10, 5]],
    [[0, 5], [10, 5]], // the same, drawn later: it wins the tie
  ];
  assert.equal(nearestSegment([5, 1], segments, 8), 0);
  assert.equal(nearestSegment([5, 4], segments, 8), 2);
  assert.equal(nearestSegment([5, 40], segments, 8), -1); // too far from all
});

// views/live_map.py pack([b"race", b"", b"fam"]), written out by hand: "MVP1", count 3,
// lengths 4, 0, 3 (uint32 little-endian), then the parts.
test("unpack splits a pack into its parts, and refuses what is not one", () => {
  const bytes = new Uint8Array([
    77, 86, 80, 49, 3, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0,
    114, 97, 99, 101, 102, 97, 109,
  ]);
  const text = (part) => new TextDecoder().decode(part);
  assert.deepEqual(unpack(bytes).map(text), ["race", "", "fam"]);
  // A view into a larger buffer (as Streamlit may hand it over) reads the same.
  const larger = new Uint8Array(bytes.length + 5);
  larger.set(bytes, 5);
  assert.deepEqual(unpack(larger.subarray(5)).map(text), ["race", "", "fam"]);
  assert.equal(unpack(new TextEncoder().encode("MVZ1 a race blob")), null);
  assert.equal(unpack(new Uint8Array(3)), null);
});
