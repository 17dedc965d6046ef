// The live race map: a canvas that draws the surface and the runs, replays them, and
// follows the sidebar's α and γ sliders while their thumbs are dragged, with no round trip
// to the server. Data: the blobs of momentum_viz/views/live_map.py (format documented
// there); the surface and the two slider families arrive through the small "blob"
// components (live_map_blob.js) and are found in window.__momentumViz by their ids.
//
// DOM contract (tests and benchmarks/bench_browser.py rely on it): canvas.mv-map with
// data-draws (redraw count), data-shown and data-settled ("lr=<α>;momentum=<γ>" of the
// paths drawn / of the runs the server last sent) and data-plot ("left,top,width,height"
// of the drawing area in CSS px) and data-font (its text's size, px); button.mv-play, button.mv-back, button.mv-forward,
// input.mv-frame.

// Filled by live_map_blob.js: id → raw blob; decoded here on first use. Each map pins the
// ids its race names (REGISTRY.pins) so that they are not evicted.
const REGISTRY = (window.__momentumViz ??= { raw: new Map(), listeners: new Set(), pins: new Map() });
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
const MISSING = 65535;
const LEVELS = 65534;
const TYPES = { u1: Uint8Array, u2: Uint16Array, i4: Int32Array, f4: Float32Array };

// The sidebar's α and γ sliders: their hidden range inputs follow the thumb during a drag
// (Streamlit itself sends the value only on release). The selectors come with the race
// blob, from app/streamlit_internals.py, where this reliance on Streamlit's DOM is kept.

function toBytes(data) {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}

function decode(bytes) {
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

function niceTicks(lo, hi, count) {
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  // The roundest step near the asked-for one (up to a third more ticks than asked).
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= 0.75 * raw) ?? raw;
  const ticks = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return ticks;
}

function formatTick(v) {
  return Number(Number(v).toPrecision(6)).toString().replace("-", "−");
}

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
    this.play.addEventListener("click", () => {
      this.togglePlay();
      this.announce({ kind: this.playing ? "play" : "pause" });
    });
    const step = (delta) => {
      this.seek(this.frame + delta);
      this.announce({ kind: "step", delta });
    };
    root.querySelector(".mv-back").addEventListener("click", () => step(-1));
    root.querySelector(".mv-forward").addEventListener("click", () => step(1));
    this.slider.addEventListener("input", () => {
      this.seek(Number(this.slider.value));
      this.announce({ kind: "frame", frame: this.frame });
    });
    this.canvas.addEventListener("click", (event) => this.click(event));
    this.canvas.addEventListener("pointermove", (event) => this.hover(event));
    this.canvas.addEventListener("pointerleave", () => (this.pointer.textContent = ""));
    this.onRegistry = () => {
      if (this.pendingStop) this.onControl({ detail: this.pendingStop });
      this.schedule();
    };
    REGISTRY.listeners.add(this.onRegistry);
    this.resize = new ResizeObserver(() => this.schedule());
    this.resize.observe(this.box);
    this.onWindowResize = () => this.schedule();
    window.addEventListener("resize", this.onWindowResize);
    this.watchSliders();
    this.listenForControl();
  }

  // The relay contract with a class (app/follow.js): the map tells the page what the LOCAL
  // user did (window CustomEvent "mv-map-event": play, pause, step, frame, and every stop
  // of a dragged α or γ thumb), and does what a "mv-control" event with the same detail
  // says, without telling again (a follower's map replays the lecturer's moves).
  announce(detail) {
    window.dispatchEvent(new CustomEvent("mv-map-event", { detail }));
  }

  listenForControl() {
    this.onControl = (event) => {
      const detail = event.detail ?? {};
      if (!this.race) return;
      const play = { play: true, pause: false, toggle: !this.playing }[detail.kind];
      if (play !== undefined && play !== this.playing) this.togglePlay();
      if (detail.kind === "step") this.seek(this.frame + Math.sign(Number(detail.delta) || 0));
      if (detail.kind === "frame") this.seek(Number(detail.frame) || 0);
      if (detail.kind === "slider") {
        const family = this.family(detail.param);
        // A stop whose family has not arrived yet (the rerun that brings it is under way)
        // is shown when it comes (setRace, onRegistry).
        this.pendingStop = family ? null : detail;
        const index = family?.header.values.indexOf(Number(detail.value)) ?? -1;
        if (index >= 0) this.showStop(detail.param, index);
      }
    };
    window.addEventListener("mv-control", this.onControl);
  }

  destroy() {
    REGISTRY.listeners.delete(this.onRegistry);
    REGISTRY.pins.delete(this);
    this.resize.disconnect();
    window.removeEventListener("resize", this.onWindowResize);
    window.removeEventListener("mv-control", this.onControl);
    this.sliderObserver?.disconnect();
    clearInterval(this.sliderPoll);
    cancelAnimationFrame(this.pending);
    this.playing = false;
    this.race = null;
    this.images.clear();
    this.box.remove(); // a map made after this one must not sit beside it
  }

  // Follow the sidebar sliders: an attribute change of their hidden range input is a
  // thumb move (drag or key). The sidebar may be redrawn by a rerun, so the inputs are
  // looked up again when they leave the page.
  watchSliders() {
    this.sliderObserver = new MutationObserver((records) => {
      for (const record of records) {
        const parameter = record.target === this.inputs?.momentum ? "momentum" : "lr";
        const shown = this.onSlider(parameter, record.target);
        if (shown !== undefined) this.announce({ kind: "slider", param: parameter, value: shown });
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
    this.sliderPoll = setInterval(this.attachSliders, 500);
  }

  // A thumb move of the sidebar's slider: show that stop; return its value (or undefined).
  onSlider(parameter, input) {
    if (!this.race) return undefined;
    const family = this.family(parameter);
    const index = Number(input.getAttribute("value") ?? input.value);
    if (!family || Number(input.max) !== family.header.values.length - 1) return undefined;
    return this.showStop(parameter, index);
  }

  // Draw the paths of the family's stop ``index`` (the settled runs at their own stop).
  showStop(parameter, index) {
    const value = this.family(parameter)?.header.values[index];
    if (value === undefined) return undefined;
    const settled = this.race.header[parameter];
    this.preview = value === settled ? null : { parameter, index, value };
    if (this.preview) {
      // The family's paths are drawn whole, and on release the new runs are shown whole:
      // the step controls say so now, not the step a paused replay was at.
      this.playing = false;
      this.frame = this.race.header.steps;
      this.status.textContent =
        `${parameter === "lr" ? "α" : "γ"} = ${value}: paths computed in advance; ` +
        "the table and the loss chart follow when you release the slider.";
    } else {
      this.status.textContent = "";
    }
    this.schedule();
    return value;
  }

  family(parameter) {
    const id = this.race?.header.families[parameter];
    return id ? blob(id) : undefined;
  }

  setRace(race) {
    const changed =
      !this.race ||
      this.race.header.steps !== race.header.steps ||
      this.race.arrays.paths.length !== race.arrays.paths.length;
    this.race = race;
    const { surface, families } = race.header;
    REGISTRY.pins.set(this, [surface, families.lr, families.momentum].filter(Boolean));
    this.preview = null;
    this.status.textContent = "";
    if (changed || !this.playing) this.frame = race.header.steps;
    this.frame = Math.min(this.frame, race.header.steps);
    this.slider.max = String(race.header.steps);
    this.canvas.setAttribute("aria-label", race.header.label);
    this.canvas.dataset.settled = `lr=${race.header.lr};momentum=${race.header.momentum}`;
    this.buildLegend();
    this.attachSliders();
    // A thumb that moved before this data arrived (a drag still going on) wins.
    for (const parameter of ["lr", "momentum"]) {
      const input = this.inputs?.[parameter];
      if (input) this.onSlider(parameter, input);
    }
    if (this.pendingStop) this.onControl({ detail: this.pendingStop });
    this.schedule();
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
    this.legend.innerHTML = items.join("");
  }

  togglePlay() {
    if (!this.race) return;
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
    if (point) this.setTriggerValue("click", point);
  }

  hover(event) {
    const point = this.at(event);
    this.pointer.textContent = point
      ? `(${formatTick(point.x.toPrecision(3))}, ${formatTick(point.y.toPrecision(3))}): click to start here`
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

  draw() {
    const race = this.race;
    const surface = race && blob(race.header.surface);
    if (!race || !surface) return;
    const image = this.image(race.header.surface, surface);
    const [xmin, xmax, ymin, ymax] = surface.header.bounds;
    const available = Math.max(120, this.box.clientWidth);
    // A phone's column is too narrow for 18 px labels beside the map: 15 px there.
    const font = available < 520 ? Math.min(15, race.header.font_size) : race.header.font_size;
    const aspect = (xmax - xmin) / (ymax - ymin);
    const margin = { l: Math.round(3.4 * font), r: Math.round(5.2 * font), t: Math.round(0.6 * font), b: Math.round(1.8 * font) };
    this.box.querySelector(".mv-main").style.maxWidth = `${available}px`;
    let height = race.header.drawing_height;
    if (race.header.fill_screen) {
      // Lecture mode: as tall as the screen allows below the map's top (measured when the
      // page is unscrolled, so scrolling does not resize it), leaving its controls row.
      if (this.fillTop === undefined) this.fillTop = Math.max(0, this.box.getBoundingClientRect().top);
      const controls = 44 + 1.2 * font;
      height = Math.max(height, window.innerHeight - this.fillTop - margin.t - margin.b - controls);
    }
    let width = height * aspect;
    if (margin.l + width + margin.r > available) {
      width = available - margin.l - margin.r;
      height = width / aspect;
    }
    const cssWidth = Math.round(margin.l + width + margin.r);
    const cssHeight = Math.round(margin.t + height + margin.b);
    const ratio = window.devicePixelRatio || 1;
    const canvas = this.canvas;
    if (canvas.width !== Math.round(cssWidth * ratio) || canvas.height !== Math.round(cssHeight * ratio)) {
      canvas.width = Math.round(cssWidth * ratio);
      canvas.height = Math.round(cssHeight * ratio);
      canvas.style.width = `${cssWidth}px`;
      canvas.style.height = `${cssHeight}px`;
    }
    const map = { left: margin.l, top: margin.t, width, height, bounds: [xmin, xmax, ymin, ymax] };
    this.geometry = map;
    const X = (x) => map.left + ((x - xmin) / (xmax - xmin)) * width;
    const Y = (y) => map.top + ((ymax - y) / (ymax - ymin)) * height;
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, cssWidth, cssHeight);
    const text = surface.header.colors.text;

    // The surface, clipped to the drawing area.
    ctx.save();
    ctx.beginPath();
    ctx.rect(map.left, map.top, width, height);
    ctx.clip();
    if (image.complete && image.naturalWidth) ctx.drawImage(image, map.left, map.top, width, height);
    strokePolyline(ctx, surface.arrays.iso, X, Y, surface.header.colors.iso, 1);
    const paths = this.paths();
    const order = race.header.draw_order; // bottom to top, from views/style.py
    const drawOrder = [...paths].sort((a, b) => order.indexOf(a.method.key) - order.indexOf(b.method.key));
    const upTo = this.preview ? Infinity : this.frame;
    for (const path of drawOrder) drawPath(ctx, path, X, Y, upTo);
    for (const m of surface.header.minima) drawMinimum(ctx, X(m.x), Y(m.y), m.global, surface.header.colors.global_min);
    const [sx, sy] = race.header.start;
    drawMarker(ctx, "circle", X(sx), Y(sy), 7, "white", "black", 2.5);
    for (const path of paths) {
      const head = headPoint(path.points, upTo);
      if (head) drawMarker(ctx, path.method.symbol, X(head[0]), Y(head[1]), 7, path.method.color, "white", 2);
    }
    // The settled runs' note comes with them; a preview's is read off the paths it draws.
    const offMap = this.preview
      ? paths.filter((p) => leavesMap(p.points, map.bounds)).map((p) => p.method.label)
      : race.header.off_map;
    if (offMap.length) {
      ctx.font = `${font}px sans-serif`;
      const note = `leaves the map: ${offMap.join(", ")}`;
      ctx.fillStyle = "rgba(255, 255, 255, 0.9)";
      ctx.fillRect(map.left + 4, map.top + 4, ctx.measureText(note).width + 12, font * 1.4);
      ctx.fillStyle = "#8B0000";
      ctx.textBaseline = "middle";
      ctx.fillText(note, map.left + 10, map.top + 4 + font * 0.7);
    }
    ctx.restore();

    // Frame, ticks and the colour bar.
    ctx.strokeStyle = text;
    ctx.lineWidth = 1;
    ctx.strokeRect(map.left, map.top, width, height);
    ctx.fillStyle = text;
    ctx.font = `${font}px sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const v of niceTicks(xmin, xmax, Math.max(3, Math.round(width / (6 * font))))) {
      ctx.fillRect(X(v) - 0.5, map.top + height, 1, 5);
      ctx.fillText(formatTick(v), X(v), map.top + height + 7);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const v of niceTicks(ymin, ymax, Math.max(3, Math.round(height / (3 * font))))) {
      ctx.fillRect(map.left - 5, Y(v) - 0.5, 5, 1);
      ctx.fillText(formatTick(v), map.left - 8, Y(v));
    }
    drawColorbar(ctx, surface.header, map.left + width + 0.6 * font, map.top, height, font, text);

    canvas.dataset.plot = [map.left, map.top, width, height].map((v) => v.toFixed(1)).join(",");
    canvas.dataset.font = String(font);
    // The legend and the controls take the map's text size (lecture mode: larger).
    this.box.style.setProperty("--mv-font", `${font}px`);
    const shown = this.preview
      ? { ...race.header, [this.preview.parameter]: this.preview.value }
      : race.header;
    canvas.dataset.shown = `lr=${shown.lr};momentum=${shown.momentum}`;
    canvas.dataset.draws = String(++this.draws);
    this.updateControls();
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

// True when a path has a point that is not finite or lies outside the map's bounds.
function leavesMap(points, [xmin, xmax, ymin, ymax]) {
  for (let i = 0; i < points.length; i += 2) {
    const x = points[i];
    const y = points[i + 1];
    if (!(x >= xmin && x <= xmax && y >= ymin && y <= ymax)) return true;
  }
  return false;
}

function dequantize(codes, box) {
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

// The points up to step `upTo` (a settled path has one point per step; a family's path
// is thinned and drawn whole).
function prefix(path, upTo) {
  if (!path.settled || !Number.isFinite(upTo)) return path.points;
  return path.points.subarray(0, Math.min(path.points.length, (upTo + 1) * 2));
}

function headPoint(points, upTo) {
  const end = Number.isFinite(upTo) ? Math.min(points.length / 2 - 1, upTo) : points.length / 2 - 1;
  for (let i = end; i >= 0; i--) {
    if (Number.isFinite(points[2 * i])) return [points[2 * i], points[2 * i + 1]];
  }
  return null;
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

function markerSvg(symbol, x, y, r, color) {
  const edge = `fill="${color}" stroke="white" stroke-width="1.5"`;
  if (symbol === "square") return `<rect x="${x - r * 0.85}" y="${y - r * 0.85}" width="${r * 1.7}" height="${r * 1.7}" ${edge}/>`;
  if (symbol === "diamond") return `<polygon points="${x},${y - r * 1.2} ${x + r * 1.2},${y} ${x},${y + r * 1.2} ${x - r * 1.2},${y}" ${edge}/>`;
  return `<circle cx="${x}" cy="${y}" r="${r}" ${edge}/>`;
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const bytes = toBytes(data);
  if (!bytes) return undefined;
  let map = parentElement.__momentumVizMap;
  if (!map || !parentElement.contains(map.canvas)) {
    map = parentElement.__momentumVizMap = new LiveMap(parentElement, setTriggerValue);
  }
  const render = (map.renders = (map.renders ?? 0) + 1);
  map.setTriggerValue = setTriggerValue;
  map.setRace(decode(bytes));
  // Streamlit (BidiComponent) calls this function again on every change of data, on the
  // same parentElement, and keeps only the last cleanup, which it calls on unmount. But a
  // call whose render was superseded while the module was still loading gets its cleanup
  // called at once, perhaps after the next call reused the map: only the latest render's
  // cleanup may destroy it.
  return () => {
    if (parentElement.__momentumVizMap !== map || map.renders !== render) return;
    map.destroy();
    parentElement.__momentumVizMap = undefined;
  };
}
