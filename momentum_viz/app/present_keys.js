// The page's key map (present mode and the lecture layout), the full-screen button and the
// key map's overlay ("?"). One listener on window, installed once per page; each mount of
// this component hands it the latest state (data) and the function that sends a slide
// change to the server. Replay keys go to the live race map as window CustomEvent
// "mv-control" (the map's contract: {kind: "toggle"} and {kind: "step", delta}).
//
// Data: {presenting: bool, lecture: bool, slide: index, count: n, buttons: bool}.
// DOM contract (tests rely on it): button.mv-fullscreen, button.mv-keys-help,
// div.mv-keymap (the overlay; [hidden] when closed).

const KEYS = (window.__momentumVizKeys ??= { state: null, owner: null, installed: false });

// The key map, as the overlay shows it: [keys, what they do, when].
const KEY_MAP = [
  ["PageDown  →", "next slide", "present mode"],
  ["PageUp  ←", "previous slide", "present mode"],
  ["Home / End", "first / last slide", "present mode"],
  ["Space  K", "play / pause the replay", "present mode and lecture layout"],
  [",  .", "one step back / forward (replay, or the anatomy's step)", "present mode and lecture layout"],
  ["F", "full screen on / off", "present mode and lecture layout"],
  ["?", "show / hide this key map", "always"],
];

// What the focused element does with keys of its own: a slider, range input or text field
// keeps arrows, PageUp/PageDown, Home/End and Space; tabs and radios keep their arrows;
// a button keeps Space (it presses it).
function focusKind(event) {
  const target = event.composedPath()[0];
  if (!(target instanceof Element)) return "page";
  if (target.closest('input[type="range"], [role="slider"]')) return "slider";
  const field =
    'input, textarea, select, [contenteditable=""], [contenteditable="true"], ' +
    '[role="combobox"], [role="spinbutton"], [role="listbox"], [role="textbox"]';
  if (target.closest(field)) return "field";
  if (target.closest('[role="tab"], [role="radio"], [role="option"], [role="menuitem"]')) return "choice";
  if (target.closest('button, a, summary, [role="button"]')) return "button";
  return "page";
}

const FULLSCREEN_ICON = `<svg width="18" height="18" viewBox="0 0 18 18" aria-hidden="true"
  fill="none" stroke="currentColor" stroke-width="2"><path d="M1 6V1h5M12 1h5v5M17 12v5h-5M6 17H1v-5"/></svg>`;

function control(detail) {
  window.dispatchEvent(new CustomEvent("mv-control", { detail }));
}

// , and . step the anatomy when its buttons are on the page, else the replay.
function step(delta) {
  const key = delta < 0 ? "anatomy_previous" : "anatomy_next";
  const button = document.querySelector(`.st-key-${key} button`);
  if (button) {
    if (!button.disabled) button.click();
  } else {
    control({ kind: "step", delta });
  }
}

function toggleFullscreen() {
  if (document.fullscreenElement) document.exitFullscreen?.();
  else document.documentElement.requestFullscreen?.().catch(() => {});
}

// The slide keys, while presenting: [message to the server] or null.
function slideMove(key, kind) {
  const free = kind === "page" || kind === "button";
  if (key === "PageDown" && kind !== "slider" && kind !== "field") return { delta: 1 };
  if (key === "PageUp" && kind !== "slider" && kind !== "field") return { delta: -1 };
  if (key === "ArrowRight" && free) return { delta: 1 };
  if (key === "ArrowLeft" && free) return { delta: -1 };
  if (key === "Home" && free) return { to: "first" };
  if (key === "End" && free) return { to: "last" };
  return null;
}

function onKey(event) {
  const state = KEYS.state;
  if (!state || event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
  const kind = focusKind(event);
  if (event.key === "?" && kind !== "field") {
    toggleHelp();
    event.preventDefault();
    return;
  }
  if (event.key === "Escape" && KEYS.help && !KEYS.help.hidden) {
    KEYS.help.hidden = true;
    return;
  }
  if (state.presenting) {
    const move = slideMove(event.key, kind);
    if (move) {
      // Not the page's scroll, and not the anatomy's own ←/→ (Streamlit's shortcuts).
      event.preventDefault();
      event.stopPropagation();
      window.dispatchEvent(new CustomEvent("mv-slide", { detail: move })); // slide_preview.js
      KEYS.send?.({ ...move, at: Date.now() });
      return;
    }
  }
  if (!state.presenting && !state.lecture) return;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  if ((key === " " || key === "k") && kind === "page") {
    event.preventDefault();
    control({ kind: "toggle" });
  } else if ((key === "," || key === ".") && kind !== "field") {
    event.preventDefault();
    step(key === "," ? -1 : 1);
  } else if (key === "f" && kind !== "field") {
    toggleFullscreen();
  } else if ((key === "PageDown" || key === "PageUp") && (kind === "page" || kind === "button")) {
    event.preventDefault(); // never scroll the map away (a slider keeps its own PageUp/Down)
  }
}

function toggleHelp() {
  if (KEYS.help) KEYS.help.hidden = !KEYS.help.hidden;
}

function buildHelp(root) {
  const box = document.createElement("div");
  box.className = "mv-keymap";
  box.hidden = true;
  box.setAttribute("role", "dialog");
  box.setAttribute("aria-label", "Keys");
  const rows = KEY_MAP.map(
    ([keys, what, when]) => `<tr><th scope="row"><kbd>${keys}</kbd></th><td>${what}</td><td>${when}</td></tr>`,
  ).join("");
  box.innerHTML = `<div class="mv-keymap-card"><h2>Keys</h2><table>${rows}</table>
    <p>→ ← Space and Home/End are left to a focused slider, field or tab.
    <button type="button" class="mv-keymap-close">Close (Esc)</button></p></div>`;
  box.querySelector(".mv-keymap-close").addEventListener("click", () => (box.hidden = true));
  box.addEventListener("click", (event) => {
    if (event.target === box) box.hidden = true;
  });
  root.appendChild(box);
  return box;
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  if (!KEYS.installed) {
    // Capture phase: before Streamlit's own shortcut listeners (the anatomy's ←/→).
    window.addEventListener("keydown", onKey, { capture: true });
    KEYS.installed = true;
  }
  const owner = {};
  KEYS.owner = owner;
  KEYS.state = data ?? {};
  KEYS.send = (move) => setTriggerValue("slide", move);
  let bar = parentElement.querySelector(".mv-keys");
  if (!bar) {
    bar = document.createElement("div");
    bar.className = "mv-keys";
    parentElement.appendChild(bar);
    buildHelp(parentElement);
  }
  KEYS.help = parentElement.querySelector(".mv-keymap");
  bar.innerHTML = KEYS.state.buttons
    ? `<button type="button" class="mv-fullscreen" aria-label="Full screen" title="Full screen (F)">${FULLSCREEN_ICON}</button>
       <button type="button" class="mv-keys-help" aria-label="Keys" title="Keys (?)">?</button>`
    : "";
  bar.querySelector(".mv-fullscreen")?.addEventListener("click", toggleFullscreen);
  bar.querySelector(".mv-keys-help")?.addEventListener("click", toggleHelp);
  return () => {
    if (KEYS.owner !== owner) return;
    KEYS.state = null;
    KEYS.send = null;
  };
}
