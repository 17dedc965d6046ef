// Carries one blob of momentum_viz/views/live_map.py to the live race map (live_map.js):
// the surface, and the paths for every stop of the α and γ sliders. Each is its own
// Streamlit element so that one which did not change (the γ family when γ moves) travels
// as a reference to the copy the browser already has (Streamlit's message cache), not
// again. Data: 16 ASCII bytes of id, then the blob. Draws nothing.
//
// REGISTRY.pins: map → the ids its current race names. Those are never evicted: their
// carriers do not send them again (a γ move re-sends only the α family), so a map whose
// surface or γ family fell out after a dozen γ moves froze on its last picture.
const REGISTRY = (window.__momentumViz ??= { raw: new Map(), listeners: new Set(), pins: new Map() });
const KEEP = 12; // blobs kept besides the pinned ones: a few settings' worth

function evict() {
  const pinned = new Set([...REGISTRY.pins.values()].flat());
  for (const id of [...REGISTRY.raw.keys()]) {
    if (REGISTRY.raw.size <= KEEP) break;
    if (!pinned.has(id)) REGISTRY.raw.delete(id); // oldest first
  }
}

export default function ({ data }) {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data;
  if (!(bytes instanceof Uint8Array) || bytes.length < 16) return undefined;
  const id = new TextDecoder().decode(bytes.subarray(0, 16));
  if (!REGISTRY.raw.has(id)) {
    REGISTRY.raw.set(id, bytes.slice(16));
    evict();
    for (const listener of REGISTRY.listeners) listener();
  }
  return undefined;
}
