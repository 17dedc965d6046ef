// The map's theme helpers (live_map_core.mjs): which theme a page colour belongs to.
// Luminances checked by hand against WCAG 2's formula: white 1, black 0, #777777 0.1845.
import assert from "node:assert/strict";
import { test } from "node:test";

import { parseColor, relativeLuminance } from "../../momentum_viz/app/live_map_core.mjs";

test("parseColor reads hex and rgb()/rgba() colours, and nothing else", () => {
  assert.deepEqual(parseColor("#14171c"), [0x14, 0x17, 0x1c, 1]);
  assert.deepEqual(parseColor("#FFF"), [255, 255, 255, 1]);
  assert.deepEqual(parseColor("rgb(20, 23, 28)"), [20, 23, 28, 1]);
  assert.deepEqual(parseColor("rgba(0, 0, 0, 0)"), [0, 0, 0, 0]);
  assert.deepEqual(parseColor("rgb(1 2 3 / 0.5)"), [1, 2, 3, 0.5]);
  for (const other of ["", "Canvas", "#12345", "rgb(a, b, c)", undefined]) {
    assert.equal(parseColor(other), null, String(other));
  }
});

test("relativeLuminance follows WCAG 2 (white 1, black 0, mid grey by hand)", () => {
  assert.equal(relativeLuminance([255, 255, 255]), 1);
  assert.equal(relativeLuminance([0, 0, 0]), 0);
  // #777777: (0.4667 + 0.055) / 1.055 = 0.4945; ^2.4 = 0.1845.
  assert.ok(Math.abs(relativeLuminance([0x77, 0x77, 0x77]) - 0.1845) < 5e-4);
  // The dark theme's page is dark, the light theme's light (the 0.2 threshold of live_map.js).
  assert.ok(relativeLuminance(parseColor("#14171c")) < 0.2);
  assert.ok(relativeLuminance(parseColor("#ffffff")) > 0.2);
});
