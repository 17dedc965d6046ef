// Carries one blob of momentum_viz/views/live_map.py to the live race map (live_map.js):
// the surface, and the paths for every stop of the α and γ sliders. Each is its own
// Streamlit element so that one which did not change (the γ family when γ moves) travels
// as a reference to the copy the browser already has (Streamlit's message cache), not
// again. Data: 16 ASCII bytes of id, then the blob. Draws nothing.
const REGISTRY = (window.__momentumViz ??= { raw: new Map(), listeners: new Set() });
const KEEP = 12; // blobs kept: a few settings' worth

export default function ({ data }) {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data;
  if (!(bytes instanceof Uint8Array) || bytes.length < 16) return undefined;
  const id = new TextDecoder().decode(bytes.subarray(0, 16));
  if (!REGISTRY.raw.has(id)) {
    REGISTRY.raw.set(id, bytes.slice(16));
    while (REGISTRY.raw.size > KEEP) REGISTRY.raw.delete(REGISTRY.raw.keys().next().value);
    for (const listener of REGISTRY.listeners) listener();
  }
  return undefined;
}
