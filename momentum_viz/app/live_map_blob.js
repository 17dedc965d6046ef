// Carries one blob of momentum_viz/views/live_map.py to the live race map (live_map.js):
// the surface, and the paths for every stop of the α and γ sliders. Each is its own
// Streamlit element so that one which did not change (the γ family when γ moves) travels
// as a reference to the copy the browser already has (Streamlit's message cache), not
// again. Data: 16 ASCII bytes of id, then the blob. Draws nothing.
//
// The element holds its blob in the registry (live_map_core.mjs) for as long as it shows
// it: a new blob on the same element lets the old one go, and unmounting lets it go.
// (The helpers above this line are live_map_core.mjs, put in front by app/live_map.py.)
const CARRIED = sharedRegistry(window);

export default function ({ data, parentElement }) {
  const carried = splitCarried(toBytes(data));
  if (!carried || !parentElement) return undefined;
  // As for the map: only the latest call's cleanup may let go of what the element holds
  // (a superseded call's cleanup can run after the next call).
  const render = (parentElement.__momentumVizCarrier = (parentElement.__momentumVizCarrier ?? 0) + 1);
  holdBlob(CARRIED, parentElement, carried.id, carried.body);
  return () => {
    if (parentElement.__momentumVizCarrier === render) releaseBlob(CARRIED, parentElement);
  };
}
