// The live race map: a canvas that draws the surface and the runs, replays them, and
// follows the sidebar's α and γ sliders while their thumbs are dragged, with no round trip
// to the server. Data: the blobs of momentum_viz/views/live_map.py (format documented
// there); the map's data packs the race with the α slider's family (live_map_core.mjs
// unpack), which the map puts in the registry (live_map_core.mjs, whose text
// app/live_map.py puts in front of this one); the surface and the γ family arrive through
// small "blob" components (live_map_blob.js). The race names the blobs it draws by id.
// On the page this module is the "live_map_code" element's; the map's own element runs
// live_map_loader.js, which calls renderLiveMap once it is here.
//
// DOM contract (tests and benchmarks/bench_browser.py rely on it): canvas.mv-map with
// data-draws (redraw count), data-shown and data-settled ("lr=<α>;momentum=<γ>" of the
// paths drawn / of the runs the server last sent), data-surface (the title of the surface
// drawn), data-plot ("left,top,width,height" of the drawing area in CSS px), data-bounds
// ("xmin,xmax,ymin,ymax" it shows) and data-font
// (its text's size, px); button.mv-play, button.mv-back, button.mv-forward, input.mv-frame.
// In the anatomy's still mode (the race header's "anatomy"), data-arrows counts the
// arrows drawn and data-step is the step frozen on; the replay row is hidden (.mv-still).
// button.mv-map-fullscreen (beside the legend) shows the map alone, full screen.
//
// Control contract (the lecture deck and a followed class rely on it), on `window`:
// * The map listens for CustomEvent "mv-control" with detail {kind: "play"|"pause"|"toggle"},
//   {kind: "step", delta: +1|-1}, {kind: "frame", frame: n}, or {kind: "slider",
//   param: "lr"|"momentum", value: v} (v one of that slider's stops: the map shows that
//   stop's paths computed in advance, exactly as while the sidebar's thumb is dragged).
// * It dispatches CustomEvent "mv-map-event" with the same detail shapes when the LOCAL
//   user plays, pauses, steps, seeks or drags a slider (not for what "mv-control" asked).
//   A seek is {kind: "frame", frame: n}; a drag back to the settled value is reported too.
// The blobs, put in the registry (live_map_core.mjs, in front of this text) by the
// carriers (live_map_blob.js) and by the maps (the families they carry), and found here
// by the ids the race names; decoded on first use.
const REGISTRY = sharedRegistry(window);
const DECODED = new Map();

function blob(id) {
  if (!DECODED.has(id)) {
    const raw = REGISTRY.raw.get(id);
    if (!raw) return undefined;
    if (DECODED.size > 8) DECODED.clear();
    DECODED.set(id, decode(raw));
  }
  return DECODED.get(id);
}

// The top of `element` on the page as if no scroller around it were scrolled (the page's
// own, Streamlit's main area): its place in the layout, whatever the reader scrolled.
function unscrolledTop(element) {
  let top = element.getBoundingClientRect().top + window.scrollY;
  for (let node = element.parentElement ?? element.getRootNode().host; node; ) {
    if (node !== document.scrollingElement) top += node.scrollTop || 0;
    node = node.parentElement ?? node.getRootNode().host;
  }
  return top;
}

const FETCH_RETRY_MS = 2000; // a family whose fetch failed is asked for again after this

const DASHES = { solid: [], dash: [4, 2.5], dot: [0.01, 2.2] };

class LiveMap {
  constructor(root, setTriggerValue) {
    this.root = root;
    this.setTriggerValue = setTriggerValue;
    this.race = null;
    this.frame = 0;
    this.playing = false;
    this.preview = null; // {parameter, index}
    this.draws = 0;
    this.images = new Map();
    this.buildDom(root);
    buildPhoneSliders(this);
    this.listen(root);
    this.watchSliders();
    watchTheme(this);
  }

  // The map's elements: the canvas, the replay controls, the legend and the notes.
  buildDom(root) {
    // Appended, not root.innerHTML: the root (a ShadowRoot) also holds the component's
    // <style>. The legend and the drag note sit beside the map where the page is wide
    // enough, else below it (flex-wrap).
    const container = document.createElement("div");
    container.className = "mv-root";
    container.innerHTML = `
        <div class="mv-main">
          <canvas class="mv-map" role="img"></canvas>
          <div class="mv-controls" role="group" aria-label="Replay of the runs">
            <button type="button" class="mv-play" aria-label="Play">▶ Play</button>
            <button type="button" class="mv-back" aria-label="One step back">◀</button>
            <input class="mv-frame" type="range" min="0" max="0" step="1" value="0"
                   aria-label="Step shown on the map">
            <button type="button" class="mv-forward" aria-label="One step forward">▶</button>
            <span class="mv-step" aria-hidden="true"></span>
          </div>
        </div>
        <div class="mv-side">
          <button type="button" class="mv-map-fullscreen" aria-label="Map full screen"
                  title="The map alone, full screen">${MAP_FULLSCREEN_ICON}</button>
          <div class="mv-legend" role="list" aria-label="Legend"></div>
          <p class="mv-status" role="status" aria-live="polite"></p>
          <p class="mv-pointer" aria-hidden="true"></p>
        </div>`;
    root.appendChild(container);
    this.box = root.querySelector(".mv-root"); // root may be a ShadowRoot: not an Element
    this.canvas = root.querySelector("canvas");
    this.play = root.querySelector(".mv-play");
    this.slider = root.querySelector(".mv-frame");
    this.stepLabel = root.querySelector(".mv-step");
    this.legend = root.querySelector(".mv-legend");
    this.status = root.querySelector(".mv-status");
    this.pointer = root.querySelector(".mv-pointer");
  }

  // The controls, the pointer, the contract's "mv-control", new blobs and resizes.
  listen(root) {
    this.play.addEventListener("click", () => this.local({ kind: this.playing ? "pause" : "play" }));
    root.querySelector(".mv-back").addEventListener("click", () => this.local({ kind: "step", delta: -1 }));
    root.querySelector(".mv-forward").addEventListener("click", () => this.local({ kind: "step", delta: 1 }));
    this.slider.addEventListener("input", () => this.local({ kind: "frame", frame: Number(this.slider.value) }));
    this.onControl = (event) => this.control(event.detail ?? {});
    window.addEventListener("mv-control", this.onControl);
    root.querySelector(".mv-map-fullscreen").addEventListener("click", () => toggleMapFullscreen(this));
    this.canvas.addEventListener("click", (event) => this.click(event));
    this.canvas.addEventListener("pointermove", (event) => this.hover(event));
    this.canvas.addEventListener("pointerleave", () => (this.pointer.textContent = ""));
    this.onRegistry = () => {
      this.applyPendingSlider();
      this.schedule();
    };
    REGISTRY.listeners.add(this.onRegistry);
    this.resize = new ResizeObserver(() => this.schedule());
    this.resize.observe(this.box);
    this.onWindowResize = () => this.schedule();
    window.addEventListener("resize", this.onWindowResize);
  }

  destroy() {
    REGISTRY.listeners.delete(this.onRegistry);
    window.removeEventListener("mv-control", this.onControl);
    this.resize.disconnect();
    window.removeEventListener("resize", this.onWindowResize);
    this.sliderObserver?.disconnect();
    clearInterval(this.sliderPoll);
    for (const touch of ["pointerdown", "focusin"]) window.removeEventListener(touch, this.onTouch, true);
    for (const holder of Object.values(this.fetchHolders ?? {})) releaseBlob(REGISTRY, holder);
    this.unwatchTheme?.();
    cancelAnimationFrame(this.pending);
    this.playing = false;
    this.race = null;
    this.images.clear();
    this.box.remove(); // a map made after this one must not sit beside it
  }

  // Follow the sidebar's α and γ sliders: their hidden range inputs follow the thumb
  // during a drag (Streamlit itself sends the value only on release), so an attribute
  // change of one is a thumb move (drag or key). The selectors come with the race blob,
  // from app/streamlit_internals.py, where this reliance on Streamlit's DOM is kept. The
  // sidebar may be redrawn by a rerun, so the inputs are looked up again every 0.5 s.
  watchSliders() {
    this.sliderObserver = new MutationObserver((records) => {
      for (const record of records) {
        const parameter = record.target === this.inputs?.momentum ? "momentum" : "lr";
        this.onSlider(parameter, record.target, true);
      }
    });
    this.attachSliders = () => {
      const selectors = this.race?.header.sliders ?? {};
      const find = (key) => (selectors[key] ? document.querySelector(selectors[key]) : null);
      const inputs = { lr: find("lr"), momentum: find("momentum") };
      if (inputs.lr === this.inputs?.lr && inputs.momentum === this.inputs?.momentum) return;
      this.inputs = inputs;
      this.sliderObserver.disconnect();
      for (const input of Object.values(inputs)) {
        if (input) this.sliderObserver.observe(input, { attributes: true, attributeFilter: ["value", "aria-valuetext"] });
      }
    };
    this.sliderPoll = setInterval(() => {
      this.attachSliders();
      this.watchFill();
    }, 500);
    // A pointer or the focus on a sidebar slider (its keyed container: the thumb, the
    // track) fetches that slider's family, if it is fetched, before the thumb moves.
    this.onTouch = (event) => {
      for (const [parameter, input] of Object.entries(this.inputs ?? {})) {
        const area = input?.closest('[class*="st-key-"]') ?? input?.parentElement;
        if (area?.contains(event.target)) this.fetchFamily(parameter);
      }
    };
    for (const touch of ["pointerdown", "focusin"]) window.addEventListener(touch, this.onTouch, true);
  }

  // A map that fills the screen below its top redraws when that top moved: a note or a
  // banner above it came or went (no resize of the map's own box says so).
  watchFill() {
    if (this.fillTop === undefined || !this.race) return;
    if (Math.abs(this.measureFillTop() - this.fillTop) > 1) this.schedule();
  }

  measureFillTop() {
    return this.box.matches(":fullscreen") ? 0 : Math.max(0, unscrolledTop(this.box));
  }

  // A thumb moved: show the paths of its stop (the input's value is the stop's index).
  onSlider(parameter, input, local = false) {
    if (!this.race || this.race.header.anatomy) return; // the still map stays at its step
    const values = this.stops(parameter);
    const index = Number(input.getAttribute("value") ?? input.value);
    if (!values || Number(input.max) !== values.length - 1) return;
    const value = values[index];
    if (value === undefined) return;
    this.showStop(parameter, index);
    if (local) this.pendingSlider = null; // the local user's move is the newer
    if (local) this.tell({ kind: "slider", param: parameter, value });
  }

  // The paths of stop `index` of the `parameter` slider's family, or the settled runs
  // when that stop is the settled value.
  showStop(parameter, index) {
    const value = this.stops(parameter)[index];
    const settled = this.race.header[parameter];
    this.preview = value === settled ? null : { parameter, index, value };
    if (this.preview) {
      this.fetchFamily(parameter); // drawn when it is here (showStop again)
      // The family's paths are drawn whole, and on release the new runs are shown whole:
      // the step controls say so now, not the step a paused replay was at.
      this.playing = false;
      this.frame = this.race.header.steps;
      this.status.textContent = this.family(parameter)
        ? `${parameter === "lr" ? "α" : "γ"} = ${value}: paths computed in advance; ` +
          "the table and the loss chart follow when you release the slider."
        : `${parameter === "lr" ? "α" : "γ"} = ${value}: fetching the paths computed in ` +
          "advance; the map shows the last runs until they are here.";
    } else {
      this.status.textContent = "";
    }
    this.schedule();
  }

  // What the local user did: do it, then say so (a lecturer's tab relays it).
  local(detail) {
    this.control(detail);
    this.tell(detail);
  }

  tell(detail) {
    window.dispatchEvent(new CustomEvent("mv-map-event", { detail }));
  }

  // Do what an "mv-control" event (or the local user) asks; see the contract at the top.
  control(detail) {
    if (!this.race || this.race.header.anatomy) return; // the still map stays at its step
    const { kind } = detail;
    if (kind === "toggle" || (kind === "play" && !this.playing) || (kind === "pause" && this.playing)) {
      this.togglePlay();
    } else if (kind === "step") {
      this.seek(this.frame + Math.sign(Number(detail.delta) || 0));
    } else if (kind === "frame") {
      this.seek(Math.round(Number(detail.frame) || 0));
    } else if (kind === "slider" && (detail.param === "lr" || detail.param === "momentum")) {
      const values = this.stops(detail.param);
      const index = stopIndex(values ?? [], Number(detail.value));
      if (index >= 0) this.showStop(detail.param, index);
      // Its family has not arrived (a follower's page sent a stop as its carrier comes):
      // shown when it does, unless something newer is asked for first.
      this.pendingSlider = values ? null : detail;
      return;
    }
    this.pendingSlider = null;
  }

  applyPendingSlider() {
    const pending = this.pendingSlider;
    if (pending && this.stops(pending.param)) this.control(pending);
  }

  // The `parameter` slider's family: carried (its id in the race's "families"), or
  // fetched from the address in the race's "fetch" (app/family_route.py), once here.
  family(parameter) {
    const id = this.race?.header.families[parameter];
    if (id) return blob(id);
    const fetched = this.fetched?.[parameter];
    const wanted = this.race?.header.fetch?.[parameter];
    return fetched && wanted && fetched.url === wanted.url ? blob(fetched.id) : undefined;
  }

  // The values of the `parameter` slider's stops, the family's, known before it is here.
  stops(parameter) {
    return this.family(parameter)?.header.values ?? this.race?.header.fetch?.[parameter]?.values;
  }

  // Fetch the `parameter` family if the race names it by address and it is not here (or
  // coming): when the thumb is first touched, not with every race, so a γ move costs the
  // server nothing for an α drag that may never come. On arrival it joins the registry
  // and the stop being previewed is shown from it. A failed fetch (the server busy: 503)
  // leaves the drag without its preview, and is tried again after FETCH_RETRY_MS, not at
  // every stop of the drag; the release settles everything either way.
  fetchFamily(parameter) {
    const url = this.race?.header.fetch?.[parameter]?.url;
    if (!url || this.family(parameter)) return;
    this.fetching ??= {};
    if (this.fetching[parameter] === url) return;
    this.fetching[parameter] = url;
    const failed = () => {
      setTimeout(() => {
        if (this.fetching[parameter] === url) this.fetching[parameter] = undefined;
      }, FETCH_RETRY_MS);
    };
    fetch(url)
      .then((response) => (response.ok ? response.arrayBuffer() : null))
      .then((buffer) => {
        const part = buffer && splitCarried(new Uint8Array(buffer));
        if (!part) return failed();
        if (this.race?.header.fetch?.[parameter]?.url !== url) return; // a new race since
        this.fetched ??= {};
        this.fetchHolders ??= {};
        this.fetched[parameter] = { url, id: part.id };
        holdBlob(REGISTRY, (this.fetchHolders[parameter] ??= {}), part.id, part.body);
        if (this.preview?.parameter === parameter) this.showStop(parameter, this.preview.index);
        this.schedule(); // the blob may have been in the registry already
      })
      .catch(failed);
  }

  setRace(race) {
    const changed =
      !this.race ||
      this.race.header.steps !== race.header.steps ||
      this.race.arrays.paths.length !== race.arrays.paths.length;
    this.race = race;
    this.preview = null;
    this.pendingSlider = null; // asked of the race before
    this.status.textContent = "";
    if (changed || !this.playing) this.frame = race.header.steps;
    this.frame = Math.min(this.frame, race.header.steps);
    const still = race.header.anatomy;
    if (still) [this.playing, this.frame] = [false, Math.min(still.step, race.header.steps)];
    this.box.classList.toggle("mv-still", Boolean(still));
    this.slider.max = String(race.header.steps);
    this.canvas.setAttribute("aria-label", race.header.label);
    this.canvas.dataset.settled = `lr=${race.header.lr};momentum=${race.header.momentum}`;
    this.buildLegend();
    applyTheme(this);
    this.attachSliders();
    // A thumb that moved before this data arrived (a drag still going on) wins.
    for (const parameter of ["lr", "momentum"]) {
      const input = this.inputs?.[parameter];
      if (input) this.onSlider(parameter, input);
    }
    this.schedule();
    autoplayNewRace(this, race);
  }

  buildLegend() {
    const items = this.race.header.methods.map((m) => {
      const dash = (DASHES[m.dash] ?? []).map((d) => d * m.width).join(" ");
      const cap = m.dash === "dot" ? "round" : "butt";
      return `<span class="mv-key" role="listitem"><svg width="46" height="18" aria-hidden="true">
        <line x1="3" y1="9" x2="43" y2="9" stroke="white" stroke-width="${m.width + 3}"/>
        <line x1="3" y1="9" x2="43" y2="9" stroke="${m.color}" stroke-width="${m.width}"
              stroke-dasharray="${dash}" stroke-linecap="${cap}"/>
        ${markerSvg(m.symbol, 23, 9, 6, m.color)}</svg>${m.label}</span>`;
    });
    for (const part of this.race.header.anatomy?.parts ?? []) items.push(partKey(part));
    this.legend.innerHTML = items.join("");
  }

  togglePlay() {
    if (!this.race || this.race.header.anatomy) return;
    if (this.playing) {
      this.playing = false;
      this.updateControls();
      return;
    }
    const steps = this.race.header.steps;
    if (this.frame >= steps) this.frame = 0;
    this.preview = null;
    this.playing = true;
    const started = performance.now() - (this.frame / Math.max(steps, 1)) * this.race.header.replay_ms;
    const tick = (now) => {
      if (!this.playing || !this.race) return;
      const share = (now - started) / this.race.header.replay_ms;
      this.frame = Math.min(steps, Math.floor(share * steps));
      this.draw();
      if (this.frame >= steps) this.playing = false;
      if (this.playing) requestAnimationFrame(tick);
      else this.updateControls();
    };
    this.updateControls();
    requestAnimationFrame(tick);
  }

  seek(frame) {
    if (!this.race) return;
    this.playing = false;
    this.frame = Math.max(0, Math.min(this.race.header.steps, frame));
    this.updateControls(); // now, not at the next frame: a key pressed before it counts
    this.schedule();
  }

  // The map point under a pointer event, or null outside the drawing area.
  at(event) {
    const map = this.geometry;
    if (!map || !this.race) return null;
    const rect = this.canvas.getBoundingClientRect();
    const px = event.clientX - rect.left;
    const py = event.clientY - rect.top;
    if (px < map.left || px > map.left + map.width || py < map.top || py > map.top + map.height) return null;
    const [xmin, xmax, ymin, ymax] = map.bounds;
    return {
      x: xmin + ((px - map.left) / map.width) * (xmax - xmin),
      y: ymax - ((py - map.top) / map.height) * (ymax - ymin),
    };
  }

  click(event) {
    const point = this.at(event);
    if (point && this.setTriggerValue) this.setTriggerValue("click", point);
  }

  hover(event) {
    const point = this.at(event);
    const arrow = point && anatomyUnder(this, event);
    this.pointer.textContent = arrow
      ? arrow.hover
      : point
      ? `(${formatTick(point.x.toPrecision(3))}, ${formatTick(point.y.toPrecision(3))})` +
        (this.setTriggerValue ? ": click to start here" : "") // none in the offline export
      : "";
  }

  updateControls() {
    const steps = this.race?.header.steps ?? 0;
    this.play.textContent = this.playing ? "❚❚ Pause" : "▶ Play";
    this.play.setAttribute("aria-label", this.playing ? "Pause" : "Play");
    this.slider.value = String(this.frame);
    this.slider.setAttribute("aria-valuetext", `step ${this.frame} of ${steps}`);
    this.stepLabel.textContent = `step ${this.frame} / ${steps}`;
  }

  schedule() {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = 0;
      this.draw();
    });
  }

  // The paths to draw: the settled runs, or during a drag the family's paths at the
  // thumb's stop (a method the family lacks, SGD in the γ family, keeps its run: γ does
  // not change it). Each: {method, points (x, y pairs, NaN = break), settled}.
  paths() {
    const race = this.race;
    const [n, T] = race.arrays.paths.shape;
    const settled = race.header.methods.map((m, i) => ({
      method: m,
      points: dequantize(race.arrays.paths.subarray(i * T * 2, (i + 1) * T * 2), race.header.box),
      settled: true,
    }));
    if (!this.preview) return settled;
    const family = this.family(this.preview.parameter);
    if (!family) return settled;
    const { values, methods, box } = family.header;
    const { points, offsets } = family.arrays;
    return settled.map((path) => {
      const m = methods.indexOf(path.method.key);
      if (m < 0) return path;
      const k = m * values.length + this.preview.index;
      const slice = points.subarray(offsets[k] * 2, offsets[k + 1] * 2);
      return { method: path.method, points: dequantize(slice, box), settled: false };
    });
  }

  // One redraw, in named steps: the layout, the surface, the runs, the frame and its
  // labels, then the DOM state the tests and the controls read.
  draw() {
    const race = this.race;
    const surface = race && blob(race.header.surface);
    if (!race || !surface) return;
    const layout = this.layout(race, race.header.anatomy?.box ?? surface.header.bounds,
                               surface.header.aspect_range);
    const ctx = this.prepareCanvas(layout);
    const paths = this.paths();
    const upTo = this.preview ? Infinity : this.frame;
    ctx.save();
    ctx.beginPath();
    ctx.rect(layout.left, layout.top, layout.width, layout.height);
    ctx.clip(); // the surface and the runs stay inside the drawing area
    this.drawSurface(ctx, layout, surface);
    drawRuns(ctx, layout, race, paths, upTo);
    drawMinimaAndMarkers(ctx, layout, surface.header, race, paths, upTo);
    this.anatomyDrawn = drawAnatomy(ctx, layout, race.header.anatomy);
    drawOffMapNote(ctx, layout, this.offMap(paths, layout.bounds));
    ctx.restore();
    const text = mapTextColor(this.themeColors?.text ?? surface.header.colors.text);
    drawAxes(ctx, layout, text);
    drawColorbar(ctx, surface.header, layout.left + layout.width + 0.6 * layout.font, layout.top,
                 layout.height, layout.font, text);
    this.publish(layout, surface.header);
  }

  // Where the map goes: its font, margins and drawing area (CSS px), and the map's
  // bounds; the drawing area keeps the surface's aspect and fits the available width.
  // A data surface's axes are in different units: its aspect may be clamped to
  // ``aspectRange`` [lo, hi] (views/live_map.py, DATA_ASPECT_RANGE); null keeps it to scale.
  layout(race, bounds, aspectRange = null) {
    const [xmin, xmax, ymin, ymax] = bounds;
    const available = Math.max(120, this.box.clientWidth);
    // A phone's column is too narrow for 18 px labels beside the map: 15 px there.
    const font = available < 520 ? Math.min(15, race.header.font_size) : race.header.font_size;
    const toScale = (xmax - xmin) / (ymax - ymin);
    const aspect = aspectRange ? Math.min(Math.max(toScale, aspectRange[0]), aspectRange[1]) : toScale;
    const margin = { l: Math.round(3.4 * font), r: Math.round(5.2 * font), t: Math.round(0.6 * font), b: Math.round(1.8 * font) };
    this.box.querySelector(".mv-main").style.maxWidth = `${available}px`;
    let height = race.header.drawing_height;
    this.fillTop = undefined; // watchFill has nothing to watch unless the map fills
    if (race.header.fill_screen || this.box.matches(":fullscreen")) {
      // Lecture mode: as tall as the screen allows below the map's top on the unscrolled
      // page (so scrolling does not resize it, and what appears or goes above it does:
      // watchFill), leaving its controls row.
      this.fillTop = this.measureFillTop();
      const controls = 44 + 1.2 * font;
      // Below the drawing height only when the screen is short (a slide's title above):
      // Play and the legend stay on the first screen, down to 60 % of it.
      height = Math.max(0.6 * height, window.innerHeight - this.fillTop - margin.t - margin.b - controls);
    }
    let width = height * aspect;
    if (margin.l + width + margin.r > available) {
      width = available - margin.l - margin.r;
      height = width / aspect;
    }
    const X = (x) => margin.l + ((x - xmin) / (xmax - xmin)) * width;
    const Y = (y) => margin.t + ((ymax - y) / (ymax - ymin)) * height;
    const cssWidth = Math.round(margin.l + width + margin.r);
    const cssHeight = Math.round(margin.t + height + margin.b);
    return { left: margin.l, top: margin.t, width, height, bounds, font, X, Y, cssWidth, cssHeight };
  }

  // The canvas at the layout's size (in device pixels), cleared; its 2-D context.
  prepareCanvas(layout) {
    const ratio = window.devicePixelRatio || 1;
    const canvas = this.canvas;
    const [w, h] = [Math.round(layout.cssWidth * ratio), Math.round(layout.cssHeight * ratio)];
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
      canvas.style.width = `${layout.cssWidth}px`;
      canvas.style.height = `${layout.cssHeight}px`;
    }
    this.geometry = layout; // for pointer events
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, layout.cssWidth, layout.cssHeight);
    return ctx;
  }

  // The surface's image (once it is decoded) and its level lines.
  drawSurface(ctx, layout, surface) {
    const image = this.image(this.race.header.surface, surface);
    if (image.complete && image.naturalWidth) {
      // The part the layout's bounds show (all of it, unless the anatomy zooms in).
      const source = imageWindow(surface.header.bounds, layout.bounds, image.naturalWidth, image.naturalHeight);
      ctx.drawImage(image, ...source, layout.left, layout.top, layout.width, layout.height);
    }
    strokePolyline(ctx, surface.arrays.iso, layout.X, layout.Y, surface.header.colors.iso, 1);
  }

  // The runs that leave the map: the settled runs' list comes with them; a preview's is
  // read off the paths it draws.
  offMap(paths, bounds) {
    if (!this.preview) return this.race.header.off_map;
    return paths.filter((p) => leavesMap(p.points, bounds)).map((p) => p.method.label);
  }

  // What the tests, the benchmarks and the controls read off the map (the DOM contract).
  publish(layout, surfaceHeader) {
    const race = this.race;
    const canvas = this.canvas;
    canvas.dataset.plot = [layout.left, layout.top, layout.width, layout.height].map((v) => v.toFixed(1)).join(",");
    canvas.dataset.font = String(layout.font);
    // The legend and the controls take the map's text size (lecture mode: larger).
    this.box.style.setProperty("--mv-font", `${layout.font}px`);
    const previewed = this.preview && this.family(this.preview.parameter);
    const shown = previewed
      ? { ...race.header, [this.preview.parameter]: this.preview.value }
      : race.header;
    canvas.dataset.shown = `lr=${shown.lr};momentum=${shown.momentum}`;
    canvas.dataset.surface = surfaceHeader.title;
    canvas.dataset.bounds = layout.bounds.join(",");
    canvas.dataset.arrows = String(this.anatomyDrawn?.length ?? 0);
    canvas.dataset.step = String(this.frame);
    canvas.dataset.draws = String(++this.draws);
    this.updateControls();
    syncPhoneSliders(this);
  }

  image(id, surface) {
    let image = this.images.get(id);
    if (!image) {
      this.images.clear();
      image = new Image();
      const url = URL.createObjectURL(new Blob([surface.arrays.png], { type: "image/png" }));
      // Decoded, the image no longer needs its URL: give the blob back (one per surface).
      image.onload = () => {
        URL.revokeObjectURL(url);
        this.schedule();
      };
      image.onerror = () => URL.revokeObjectURL(url);
      image.src = url;
      this.images.set(id, image);
    }
    return image;
  }
}

// The runs, bottom to top in the race's drawing order (views/style.py), up to step upTo.
function drawRuns(ctx, layout, race, paths, upTo) {
  const order = race.header.draw_order;
  const sorted = [...paths].sort((a, b) => order.indexOf(a.method.key) - order.indexOf(b.method.key));
  for (const path of sorted) drawPath(ctx, path, layout.X, layout.Y, upTo);
}

// The minima, the start, and each run's marker where it is at step upTo.
function drawMinimaAndMarkers(ctx, layout, surfaceHeader, race, paths, upTo) {
  const { X, Y } = layout;
  for (const m of surfaceHeader.minima) drawMinimum(ctx, X(m.x), Y(m.y), m.global, surfaceHeader.colors.global_min);
  const [sx, sy] = race.header.start;
  drawMarker(ctx, "circle", X(sx), Y(sy), 7, "white", "black", 2.5);
  for (const path of paths) {
    const head = headPoint(path.points, upTo);
    if (head) drawMarker(ctx, path.method.symbol, X(head[0]), Y(head[1]), 7, path.method.color, "white", 2);
  }
}

// "leaves the map: …" in the drawing area's top left corner, on white.
function drawOffMapNote(ctx, layout, labels) {
  if (!labels.length) return;
  const font = layout.font;
  ctx.font = `${font}px sans-serif`;
  const note = `leaves the map: ${labels.join(", ")}`;
  ctx.fillStyle = "rgba(255, 255, 255, 0.9)";
  ctx.fillRect(layout.left + 4, layout.top + 4, ctx.measureText(note).width + 12, font * 1.4);
  ctx.fillStyle = "#8B0000";
  ctx.textBaseline = "middle";
  ctx.fillText(note, layout.left + 10, layout.top + 4 + font * 0.7);
}

// --- α and γ under the map on a phone ---------------------------------------------------

// On a narrow screen (live_map.css shows them below 640 px) the sidebar's α and γ sliders
// sit in a drawer over the map, so nobody could watch the paths follow a drag. These two
// sliders under the map move over the same stops (the families' values): a drag shows that
// stop's paths computed in advance, as a sidebar drag does (and is reported the same way,
// "mv-map-event"); the release sends the value to the server ("slider" trigger,
// app/live_map.py), which sets the sidebar's slider to it, so there is one value per
// parameter whichever control moved it. They follow the sidebar, a relayed "mv-control"
// and each new race (syncPhoneSliders).
const PHONE_PARAMETERS = [
  { param: "lr", symbol: "α", name: "Learning rate α" },
  { param: "momentum", symbol: "γ", name: "Momentum γ" },
];

function buildPhoneSliders(map) {
  const group = document.createElement("div");
  group.className = "mv-phone-sliders";
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", "Learning rate and momentum");
  map.phoneSliders = {};
  for (const { param, symbol, name } of PHONE_PARAMETERS) {
    const row = document.createElement("label");
    row.className = "mv-param";
    row.innerHTML = `<span class="mv-param-name" aria-hidden="true">${symbol}</span>
      <input type="range" min="0" max="0" step="1" value="0" data-param="${param}">
      <output class="mv-param-value" aria-hidden="true"></output>`;
    const input = row.querySelector("input");
    input.setAttribute("aria-label", name);
    for (const touch of ["pointerdown", "focus"]) input.addEventListener(touch, () => map.fetchFamily(param));
    input.addEventListener("input", () => movePhoneSlider(map, param, Number(input.value), false));
    input.addEventListener("change", () => movePhoneSlider(map, param, Number(input.value), true));
    group.appendChild(row);
    map.phoneSliders[param] = { input, output: row.querySelector("output") };
  }
  map.box.querySelector(".mv-main").appendChild(group);
}

// A phone slider moved to stop `index`: show its paths; on release, send the value.
function movePhoneSlider(map, param, index, released) {
  const values = map.stops(param);
  if (!map.race || map.race.header.anatomy || !values || values[index] === undefined) return;
  map.showStop(param, index);
  map.tell({ kind: "slider", param, value: values[index] });
  if (released && map.setTriggerValue) map.setTriggerValue("slider", { param, value: values[index] });
}

// Each phone slider on the stop shown now (the preview's, else the settled value's).
function syncPhoneSliders(map) {
  if (!map.phoneSliders || !map.race) return;
  for (const { param } of PHONE_PARAMETERS) {
    const { input, output } = map.phoneSliders[param];
    const values = map.stops(param) ?? [];
    const value = map.preview?.parameter === param ? map.preview.value : map.race.header[param];
    const index = stopIndex(values, value);
    input.disabled = index < 0;
    input.max = String(Math.max(0, values.length - 1));
    if (index >= 0) input.value = String(index);
    const text = `${param === "lr" ? "α" : "γ"} = ${formatTick(value)}`;
    output.textContent = text;
    input.setAttribute("aria-valuetext", text);
  }
}

// --- The viewer's theme: Streamlit's light or dark choice ---------------------------------

// "dark" when the page behind the map is dark, else "light". Streamlit hands a component
// its theme as CSS variables (--st-background-color, …) on the element around it; read
// off the page when they are missing (the offline export), then the system's preference.
function themeKind(map) {
  const fromStreamlit = getComputedStyle(map.box).getPropertyValue("--st-background-color").trim();
  const page = fromStreamlit || getComputedStyle(document.body).backgroundColor;
  const rgb = parseColor(page);
  if (rgb && !(rgb[3] === 0)) return relativeLuminance(rgb) < 0.2 ? "dark" : "light";
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

// The theme's colours (the race header's `themes`, views/style.py THEMES) on the map's
// box, as CSS variables for live_map.css, and for the canvas's text; true if they changed.
// When the viewer switches theme, the server is asked for a rerun ("theme" trigger): the
// other charts take the theme the browser reports with each run.
function applyTheme(map) {
  const themes = map.race?.header.themes;
  if (!themes) return false;
  const kind = themeKind(map);
  if (map.themeKind !== undefined && map.themeKind !== kind) map.setTriggerValue?.("theme", kind);
  map.themeKind = kind;
  const colors = themes[kind] ?? themes.light;
  if (map.themeColors === colors) return false;
  map.themeColors = colors;
  map.box.dataset.theme = kind;
  for (const [name, value] of Object.entries(colors)) map.box.style.setProperty(`--mv-${name.replace("_", "-")}`, value);
  return true;
}

// Redraw when the theme changes: the system's preference or forced colours flip (media
// queries), or the viewer picks another theme in Streamlit's menu (its variables change
// with no event, so they are compared twice a second, as the sliders are looked up).
function watchTheme(map) {
  const redraw = () => {
    if (applyTheme(map) || map.race) map.schedule();
  };
  const queries = ["(prefers-color-scheme: dark)", "(forced-colors: active)"]
    .map((q) => window.matchMedia?.(q))
    .filter(Boolean);
  for (const query of queries) query.addEventListener("change", redraw);
  const poll = setInterval(() => applyTheme(map) && map.schedule(), 500);
  map.unwatchTheme = () => {
    clearInterval(poll);
    for (const query of queries) query.removeEventListener("change", redraw);
  };
}

// The colour of the map's text, frame and ticks, which stand on the page behind the canvas.
// Under forced colours (Windows High Contrast) the browser paints that page in the user's
// Canvas colour, often black, and leaves the canvas alone: the text takes the user's
// CanvasText, read off a probe element (a canvas cannot name system colours itself).
function mapTextColor(fallback) {
  if (!window.matchMedia || !window.matchMedia("(forced-colors: active)").matches) return fallback;
  const probe = document.createElement("span");
  probe.style.color = "CanvasText";
  document.body.appendChild(probe);
  const color = getComputedStyle(probe).color;
  probe.remove();
  return color || fallback;
}

// The frame round the drawing area and the ticks of both axes with their labels.
function drawAxes(ctx, layout, text) {
  const { left, top, width, height, font, X, Y } = layout;
  const [xmin, xmax, ymin, ymax] = layout.bounds;
  ctx.strokeStyle = text;
  ctx.lineWidth = 1;
  ctx.strokeRect(left, top, width, height);
  ctx.fillStyle = text;
  ctx.font = `${font}px sans-serif`;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const v of niceTicks(xmin, xmax, Math.max(3, Math.round(width / (6 * font))))) {
    ctx.fillRect(X(v) - 0.5, top + height, 1, 5);
    ctx.fillText(formatTick(v), X(v), top + height + 7);
  }
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const v of niceTicks(ymin, ymax, Math.max(3, Math.round(height / (3 * font))))) {
    ctx.fillRect(left - 5, Y(v) - 0.5, 5, 1);
    ctx.fillText(formatTick(v), left - 8, Y(v));
  }
}

function strokePolyline(ctx, xy, X, Y, color, width) {
  ctx.beginPath();
  let pen = false;
  for (let i = 0; i < xy.length; i += 2) {
    const x = xy[i];
    const y = xy[i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      pen = false;
      continue;
    }
    if (pen) ctx.lineTo(X(x), Y(y));
    else ctx.moveTo(X(x), Y(y));
    pen = true;
  }
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.stroke();
}

// A white casing under every line keeps it ≥ 3:1 against any colour it crosses.
function drawPath(ctx, path, X, Y, upTo) {
  const points = prefix(path, upTo);
  const m = path.method;
  ctx.lineJoin = "round";
  ctx.setLineDash([]);
  ctx.lineCap = "round";
  strokePolyline(ctx, points, X, Y, "rgba(255, 255, 255, 0.9)", m.width + 3);
  ctx.setLineDash((DASHES[m.dash] ?? []).map((d) => d * m.width));
  ctx.lineCap = m.dash === "dot" ? "round" : "butt";
  strokePolyline(ctx, points, X, Y, m.color, m.width);
  ctx.setLineDash([]);
}

function drawMarker(ctx, symbol, x, y, r, fill, edge, edgeWidth) {
  ctx.beginPath();
  if (symbol === "square") ctx.rect(x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7);
  else if (symbol === "diamond") {
    ctx.moveTo(x, y - r * 1.2);
    ctx.lineTo(x + r * 1.2, y);
    ctx.lineTo(x, y + r * 1.2);
    ctx.lineTo(x - r * 1.2, y);
    ctx.closePath();
  } else ctx.arc(x, y, r, 0, 2 * Math.PI);
  ctx.fillStyle = fill;
  ctx.fill();
  ctx.strokeStyle = edge;
  ctx.lineWidth = edgeWidth;
  ctx.stroke();
}

function drawMinimum(ctx, x, y, global, gold) {
  if (global) {
    ctx.beginPath();
    for (let i = 0; i < 10; i++) {
      const r = i % 2 ? 5 : 12;
      const a = -Math.PI / 2 + (i * Math.PI) / 5;
      ctx.lineTo(x + r * Math.cos(a), y + r * Math.sin(a));
    }
    ctx.closePath();
    ctx.fillStyle = gold;
    ctx.fill();
    ctx.strokeStyle = "black";
    ctx.lineWidth = 1.5;
    ctx.stroke();
    return;
  }
  for (const [color, width] of [["#222222", 5], ["white", 2]]) {
    ctx.beginPath();
    ctx.moveTo(x - 7, y - 7);
    ctx.lineTo(x + 7, y + 7);
    ctx.moveTo(x + 7, y - 7);
    ctx.lineTo(x - 7, y + 7);
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.stroke();
  }
}

function drawColorbar(ctx, header, left, top, height, font, text) {
  const barTop = top + 1.4 * font;
  const barHeight = height - 1.4 * font;
  const gradient = ctx.createLinearGradient(0, barTop + barHeight, 0, barTop);
  for (const [stop, color] of header.colorscale) gradient.addColorStop(stop, color);
  ctx.fillStyle = gradient;
  ctx.fillRect(left, barTop, 14, barHeight);
  ctx.strokeStyle = text;
  ctx.strokeRect(left, barTop, 14, barHeight);
  ctx.fillStyle = text;
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  ctx.fillText("J", left, top + 0.6 * font);
  const { positions, labels } = header.colorbar;
  positions.forEach((p, i) => {
    const y = barTop + barHeight * (1 - p);
    ctx.fillRect(left + 14, y - 0.5, 4, 1);
    ctx.fillText(labels[i].replace("-", "−"), left + 20, y);
  });
}

// --- The anatomy of a step: its arrows on the still map ------------------------------

// Each arrow of the race header's `anatomy` (views/anatomy.py: tail, drawn vector, dash,
// width, colour, all at the map's own scale), the move on top, then Nesterov's look-ahead
// points as open circles. Returns what it drew, in screen px, for the hover.
function drawAnatomy(ctx, layout, anatomy) {
  if (!anatomy) return null;
  const { X, Y } = layout;
  const drawn = [];
  for (const arrow of anatomy.arrows) {
    const [x, y] = arrow.tail;
    const tail = [X(x), Y(y)];
    const tip = [X(x + arrow.drawn[0]), Y(y + arrow.drawn[1])];
    drawArrow(ctx, tail, tip, arrow);
    drawn.push({ segment: [tail, tip], hover: arrow.hover });
  }
  for (const look of anatomy.lookaheads) {
    const centre = [X(look.point[0]), Y(look.point[1])];
    for (const [color, width] of [["white", 6], [look.color, 3]]) {
      ctx.beginPath();
      ctx.arc(centre[0], centre[1], 8, 0, 2 * Math.PI);
      ctx.strokeStyle = color;
      ctx.lineWidth = width;
      ctx.stroke();
    }
    drawn.push({ segment: [centre, centre], hover: look.hover });
  }
  return drawn;
}

// One arrow: its shaft (dashed as its part, on a white casing) up to the base of its
// head, then the head, filled, its point on the tip.
function drawArrow(ctx, tail, tip, arrow) {
  const size = 3 * arrow.width + 6;
  const head = arrowHead(tail, tip, size);
  if (!head) return;
  const length = Math.hypot(tip[0] - tail[0], tip[1] - tail[1]);
  const shaft = Math.max(0, length - 0.8 * size) / length;
  const end = [tail[0] + (tip[0] - tail[0]) * shaft, tail[1] + (tip[1] - tail[1]) * shaft];
  const line = [tail[0], tail[1], end[0], end[1]];
  const identity = (v) => v;
  ctx.lineCap = "round";
  strokePolyline(ctx, line, identity, identity, "rgba(255, 255, 255, 0.9)", arrow.width + 3);
  ctx.setLineDash((DASHES[arrow.dash] ?? []).map((d) => d * arrow.width));
  ctx.lineCap = arrow.dash === "dot" ? "round" : "butt";
  strokePolyline(ctx, line, identity, identity, arrow.color, arrow.width);
  ctx.setLineDash([]);
  ctx.beginPath();
  head.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
  ctx.closePath();
  ctx.fillStyle = arrow.color;
  ctx.strokeStyle = "white";
  ctx.lineWidth = 1.5;
  ctx.stroke();
  ctx.fill();
}

// The arrow or look-ahead point under the pointer (within 8 px), or null.
function anatomyUnder(map, event) {
  const drawn = map.race?.header.anatomy ? map.anatomyDrawn : null;
  if (!drawn?.length) return null;
  const rect = map.canvas.getBoundingClientRect();
  const point = [event.clientX - rect.left, event.clientY - rect.top];
  const index = nearestSegment(point, drawn.map((d) => d.segment), 10);
  return index >= 0 ? drawn[index] : null;
}

// A legend key of one part of a step (grey: the colours are the methods').
function partKey(part) {
  const dash = (DASHES[part.dash] ?? []).map((d) => d * part.width).join(" ");
  const cap = part.dash === "dot" ? "round" : "butt";
  return `<span class="mv-key" role="listitem"><svg width="46" height="18" aria-hidden="true">
    <line x1="3" y1="9" x2="38" y2="9" stroke="#5a6270" stroke-width="${part.width}"
          stroke-dasharray="${dash}" stroke-linecap="${cap}"/>
    <polygon points="44,9 36,4 36,14" fill="#5a6270"/></svg>${part.label}</span>`;
}

function markerSvg(symbol, x, y, r, color) {
  const edge = `fill="${color}" stroke="white" stroke-width="1.5"`;
  if (symbol === "square") return `<rect x="${x - r * 0.85}" y="${y - r * 0.85}" width="${r * 1.7}" height="${r * 1.7}" ${edge}/>`;
  if (symbol === "diamond") return `<polygon points="${x},${y - r * 1.2} ${x + r * 1.2},${y} ${x},${y + r * 1.2} ${x - r * 1.2},${y}" ${edge}/>`;
  return `<circle cx="${x}" cy="${y}" r="${r}" ${edge}/>`;
}

// The view setting "Play on open" (header.autoplay): the replay starts by itself the first
// time a race is drawn, and again for each new race (new runs: its label names the
// surface, methods, start, α and γ), never for a rerun that sends the same race again.
function autoplayNewRace(map, race) {
  const identity = `${race.header.label};${race.header.steps}`;
  if (!race.header.autoplay || map.autoplayed === identity) return;
  map.autoplayed = identity;
  if (!map.playing) map.togglePlay();
}

const MAP_FULLSCREEN_ICON = `<svg width="18" height="18" viewBox="0 0 18 18" aria-hidden="true"
  fill="none" stroke="currentColor" stroke-width="2"><path d="M1 6V1h5M12 1h5v5M17 12v5h-5M6 17H1v-5"/></svg>`;

// The map's full-screen button (top right of the legend's column): the map (its element,
// with the replay row and legend)
// alone on the screen, as tall as the screen allows; again, or Esc, leaves. The page's
// keys keep working (they listen on window). Entering or leaving re-measures its room.
function toggleMapFullscreen(map) {
  if (!map.onFullscreen) {
    map.onFullscreen = () => {
      map.fillTop = undefined;
      map.schedule();
    };
    document.addEventListener("fullscreenchange", map.onFullscreen);
  }
  if (document.fullscreenElement) document.exitFullscreen?.().catch(() => {});
  else map.box.requestFullscreen?.().catch(() => {});
}

// Named: the offline export (views/export.py) calls it after this text.
export default function renderLiveMap(component) {
  const { data, parentElement, setTriggerValue } = component;
  const bytes = toBytes(data);
  if (!bytes) return undefined;
  // The live page's map carries its families (a pack); an offline file's, only the race.
  const [race, ...carried] = unpack(bytes) ?? [bytes];
  // One holder per carried blob, kept on the element: a new family lets the old one go.
  const holders = (parentElement.__momentumVizHolders ??= carried.map(() => ({})));
  carried.forEach((part, i) => {
    const blob = splitCarried(part);
    if (blob && holders[i]) holdBlob(REGISTRY, holders[i], blob.id, blob.body);
  });
  let map = parentElement.__momentumVizMap;
  if (!map || !parentElement.contains(map.canvas)) {
    map = parentElement.__momentumVizMap = new LiveMap(parentElement, setTriggerValue);
  }
  const render = (map.renders = (map.renders ?? 0) + 1);
  map.setTriggerValue = setTriggerValue;
  map.setRace(decode(race));
  // Streamlit (BidiComponent) calls this function again on every change of data, on the
  // same parentElement, and keeps only the last cleanup, which it calls on unmount. But a
  // call whose render was superseded while the module was still loading gets its cleanup
  // called at once, perhaps after the next call reused the map: only the latest render's
  // cleanup may destroy it.
  return () => {
    if (parentElement.__momentumVizMap !== map || map.renders !== render) return;
    map.destroy();
    parentElement.__momentumVizMap = undefined;
    for (const holder of holders) releaseBlob(REGISTRY, holder);
    parentElement.__momentumVizHolders = undefined;
  };
}
