// Slide preview (app/slide_preview.py): on a slide key, show the neighbour slide's race on
// the live map at once, from the blobs its carriers put in the registry, before the rerun
// brings the same race. Data: {races: {"1": id, "-1": id}} (the ids of the races carried;
// a direction without one is left to the rerun). Listens on window for CustomEvent
// "mv-slide" with detail {delta: ±1} (present_keys.js sends it with the slide key).
// The map is found as the tests find it: the race map element's shadow root holds the
// LiveMap object (live_map.js, renderLiveMap) as __momentumVizMap.
// (The helpers above this line are live_map_core.mjs, put in front by app/live_map.py.)
const PREVIEW = (window.__momentumVizPreview ??= { races: {}, installed: false });

function liveMap() {
  const host = document.querySelector(".st-key-race_map");
  if (!host) return undefined;
  for (const element of host.querySelectorAll("*")) {
    if (element.shadowRoot?.__momentumVizMap) return element.shadowRoot.__momentumVizMap;
  }
  return undefined;
}

function showNeighbour(event) {
  const id = PREVIEW.races[String(event.detail?.delta)];
  const raw = id ? sharedRegistry(window).raw.get(id) : undefined;
  const map = liveMap();
  if (!raw || !map) return;
  PREVIEW.races = {}; // once: the next ids come with the rerun
  map.setRace(decode(raw));
}

export default function ({ data }) {
  if (!PREVIEW.installed) {
    window.addEventListener("mv-slide", showNeighbour);
    PREVIEW.installed = true;
  }
  PREVIEW.races = data?.races ?? {};
  return () => {
    PREVIEW.races = {};
  };
}
