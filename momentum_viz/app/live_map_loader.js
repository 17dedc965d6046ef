// The live race map's element (app/live_map.py): its code, live_map.js (~50 KB with the
// helpers), arrives once per page on an element of its own ("live_map_code", drawn outside
// the page's live part), not with every move's data. That element's module, when it has
// run, leaves `renderLiveMap` here; until then a map waits for it.
const CODE = (globalThis.__momentumVizLiveMapCode ??= {});
CODE.ready ??= new Promise((resolve) => {
  CODE.resolve = resolve;
});

export default function (component) {
  if (CODE.render) return CODE.render(component);
  let cleanup;
  let gone = false;
  CODE.ready.then((render) => {
    if (!gone) cleanup = render(component);
  });
  return () => {
    gone = true;
    if (typeof cleanup === "function") cleanup();
  };
}
