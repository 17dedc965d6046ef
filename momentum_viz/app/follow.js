// Follow the lecturer, in the browser (app/follow.py is Streamlit's side, app/classroom.py
// the HTTP interface). Two roles, chosen by the data Python sends:
//
// * "start" / "lead" (the sidebar's class panel): "Start a class" asks the server for a class
//   and keeps its lead secret in this tab's sessionStorage only (never in the address bar,
//   never on the page, never sent to Python), so a reload of the lecturer's tab keeps
//   leading. While leading it POSTs the view on every rerun and relays the race map's local
//   moves ("mv-map-event": drags, play, pause, step), at most 20 states a second, drags
//   coalesced; it polls how many follow and explore.
// * "follow" (a banner at the top of a follower's page): an EventSource on the class's
//   stream. A state whose view differs from the page's asks Python for ONE rerun (trigger
//   "view"); live moves go straight to the race map ("mv-control"), no rerun. Any control
//   the follower touches breaks away; "Follow again" (or the F key) jumps back. A broken
//   connection is retried with back-off ("reconnecting"); a lecturer who is gone or a class
//   that ended leaves the last view with a note.
//
// DOM contract (tests rely on it): .fl-banner[data-mode="follow"|"explore"|"ended"]
// [data-connection="open"|"reconnecting"][data-view] (the page's view, JSON)[data-slide]
// (the slide presented, 1-based, or ""), .fl-title,
// button.fl-again; .fl-lead[data-role][data-view][data-follow][data-explore] with
// button.fl-start, button.fl-remote, input.fl-remote-link.

const STORAGE_KEY = "momentum-viz-lead"; // sessionStorage: {"code", "lead"}
const SEND_INTERVAL_MS = 50; // ≤ 20 states a second (the server refuses more than 30)
const POLL_MS = 3000;
const GONE_AFTER_S = 180; // the lead's page polls every 3 s; silence this long: it is gone
const MAX_BACKOFF_MS = 30000;
const ASK_AGAIN_MS = 5000;
const LAYOUT_KEYS = ["lecture"]; // each viewer's own: never sent, never followed

function withoutLayout(view) {
  const kept = { ...(view ?? {}) };
  for (const key of LAYOUT_KEYS) delete kept[key];
  return kept;
}

function sameView(a, b) {
  const entries = (v) => JSON.stringify(Object.entries(withoutLayout(v)).sort());
  return entries(a) === entries(b);
}

// What a page shows besides its live moves: the view, and the deck and slide it presents
// (a lecturer's state, or a page's data from Python: both have these fields).
function samePage(a, b) {
  return sameView(a.view, b.view) && (a.deck ?? "") === (b.deck ?? "") && (a.slide ?? 0) === (b.slide ?? 0);
}

function pageOf(source) {
  const page = { view: withoutLayout(source.view) };
  if (source.deck) page.deck = source.deck;
  if (source.slide) page.slide = source.slide;
  return page;
}

const LIVE_MOVES = ["drag", "play", "step", "frame"];

function storedLead() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? "null");
    return stored && typeof stored.code === "string" && typeof stored.lead === "string" ? stored : null;
  } catch {
    return null;
  }
}

// A lead link opened on another device: /#lead=<code>.<secret>. Taken into this tab's
// storage and removed from the address at once.
function takeLeadFromFragment() {
  const match = /^#lead=([A-Z0-9]{6})\.([\w-]{20,100})$/.exec(window.location.hash);
  if (!match) return;
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ code: match[1], lead: match[2] }));
  history.replaceState(history.state, "", window.location.pathname + window.location.search);
}
takeLeadFromFragment();

// --- the lecturer's side --------------------------------------------------------------

class LeadPanel {
  constructor(root) {
    const box = document.createElement("div");
    box.className = "fl-lead";
    box.innerHTML = `
      <button type="button" class="fl-start">Start a class</button>
      <p class="fl-counts" role="status" aria-live="polite"></p>
      <button type="button" class="fl-remote">Lead from another device</button>
      <div class="fl-remote-box" hidden>
        <input class="fl-remote-link" readonly aria-label="Lead link: whoever opens it leads this class">
        <p class="fl-hint">Keep it private: whoever opens it leads the class.</p>
      </div>
      <button type="button" class="fl-end">Stop leading</button>
      <p class="fl-error" role="alert"></p>`;
    root.appendChild(box);
    this.box = box;
    this.queue = [];
    this.lastPage = null; // {view, deck?, slide?} as Python drew it
    this.sentPage = null;
    box.querySelector(".fl-start").addEventListener("click", () => this.start());
    box.querySelector(".fl-remote").addEventListener("click", () => this.revealRemote());
    box.querySelector(".fl-end").addEventListener("click", () => this.stop());
    this.onMapEvent = (event) => this.relay(event.detail ?? {});
    window.addEventListener("mv-map-event", this.onMapEvent);
    this.poller = setInterval(() => this.poll(), POLL_MS);
  }

  destroy() {
    window.removeEventListener("mv-map-event", this.onMapEvent);
    clearInterval(this.poller);
    clearTimeout(this.sending);
    this.box.remove();
  }

  update(data, setTriggerValue) {
    this.data = data;
    this.trigger = setTriggerValue;
    const leading = data.role === "lead";
    this.box.dataset.role = data.role;
    this.box.querySelector(".fl-start").hidden = leading;
    for (const selector of [".fl-remote", ".fl-end", ".fl-counts"]) {
      this.box.querySelector(selector).hidden = !leading;
    }
    const stored = storedLead();
    if (!leading) {
      this.box.querySelector(".fl-remote-box").hidden = true;
      if (stored && !this.checked) this.resume(stored); // a reload of the lecturer's tab
      return;
    }
    if (!stored || stored.code !== data.code) {
      this.trigger("lead", { code: null }); // this tab does not hold the secret
      return;
    }
    this.lead = stored;
    this.lastPage = pageOf(data);
    this.box.dataset.view = JSON.stringify(this.lastPage.view);
    this.box.dataset.slide = data.slide ?? "";
    if (!this.sentPage || !samePage(this.lastPage, this.sentPage)) this.enqueue(this.whole());
    if (this.box.querySelector(".fl-counts").textContent === "") this.poll();
  }

  async start() {
    const error = this.box.querySelector(".fl-error");
    error.textContent = "";
    const response = await fetch("api/classes", { method: "POST" }).catch(() => null);
    const body = response ? await response.json().catch(() => ({})) : {};
    if (!response || response.status !== 201) {
      error.textContent = body.error ?? "The server did not start a class; try again.";
      return;
    }
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ code: body.code, lead: body.lead }));
    this.sentPage = null;
    this.trigger("lead", { code: body.code, started: true });
  }

  async resume(stored) {
    this.checked = true;
    const response = await this.call("GET", `api/classes/${stored.code}`, stored);
    if (response?.status === 200) this.trigger("lead", { code: stored.code, started: false });
    else if (response && [403, 404].includes(response.status)) sessionStorage.removeItem(STORAGE_KEY);
  }

  // "Stop leading" ends the class for everyone: the followers are told and keep the last view.
  async stop() {
    const lead = this.lead;
    sessionStorage.removeItem(STORAGE_KEY);
    this.lead = null;
    this.queue = [];
    if (lead) await this.call("DELETE", `api/classes/${lead.code}`, lead);
    this.trigger("lead", { code: null });
  }

  revealRemote() {
    const box = this.box.querySelector(".fl-remote-box");
    const input = box.querySelector(".fl-remote-link");
    // With the page's own view in the query: that page's first run then leaves the address
    // as it is (Streamlit rewrites an address whose view differs, and drops the fragment).
    const page = new URL(window.location.href);
    page.hash = "";
    input.value = `${page.href}#lead=${this.lead.code}.${this.lead.lead}`;
    box.hidden = false;
    input.select();
  }

  call(method, path, lead, body) {
    const headers = { authorization: `Bearer ${lead.lead}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const init = { method, headers, body: body === undefined ? undefined : JSON.stringify(body) };
    return fetch(path, init).catch(() => null);
  }

  async poll() {
    if (this.data?.role !== "lead" || !this.lead) return;
    const response = await this.call("GET", `api/classes/${this.lead.code}`, this.lead);
    if (response?.status === 200) {
      const counts = await response.json();
      this.box.dataset.follow = counts.follow;
      this.box.dataset.explore = counts.explore;
      this.box.querySelector(".fl-counts").textContent =
        `Class ${this.lead.code}: ${counts.follow} following, ${counts.explore} exploring`;
    } else if (response && [403, 404].includes(response.status)) {
      this.ended();
    }
  }

  ended() {
    sessionStorage.removeItem(STORAGE_KEY);
    this.lead = null;
    this.box.querySelector(".fl-error").textContent = "The class has ended.";
    this.trigger?.("lead", { code: null });
  }

  // The whole page as a state (every state carries it, so a follower needs only the last).
  whole() {
    return { ...this.lastPage, title: this.data.title };
  }

  // A local move of the lecturer's map, as a state: the page plus the move.
  relay(detail) {
    if (this.data?.role !== "lead" || !this.lastPage) return;
    const moves = {
      slider: () => ({ drag: { param: detail.param, value: detail.value } }),
      play: () => ({ play: true }),
      pause: () => ({ play: false }),
      step: () => ({ step: detail.delta > 0 ? 1 : -1 }),
      frame: () => ({ frame: detail.frame }),
    };
    const move = moves[detail.kind]?.();
    if (move) this.enqueue({ ...this.whole(), ...move });
  }

  // Queue a state; a drag replaces a drag of the same slider still waiting, a bare view
  // a bare view (only the newest matters), so a fast drag never builds a backlog.
  enqueue(state) {
    const last = this.queue.at(-1);
    const kind = (s) =>
      s.drag ? `drag:${s.drag.param}` : LIVE_MOVES.some((name) => name in s) ? "move" : "view";
    if (last && kind(last) === kind(state) && kind(state) !== "move") this.queue.pop();
    if (state.drag && this.lastDrag === JSON.stringify(state)) return; // the same stop again
    this.queue.push(state);
    if (this.queue.length > 40) this.queue.shift();
    if (!this.sending) this.sendNext();
  }

  async sendNext() {
    const state = this.queue.shift();
    if (!state || !this.lead) {
      this.sending = 0;
      return;
    }
    this.sending = setTimeout(() => this.sendNext(), SEND_INTERVAL_MS);
    if (state.drag) this.lastDrag = JSON.stringify(state);
    if (!state.drag) this.lastDrag = null;
    this.sentPage = pageOf(state);
    const response = await this.call("POST", `api/classes/${this.lead.code}/state`, this.lead, state);
    if (response && [403, 404].includes(response.status)) this.ended();
    else if (response && [413, 422].includes(response.status)) this.refused(response);
    else if (response?.ok && this.box.dataset.refused) this.refused(null);
  }

  // The server refused a view (413 too large, 422 not a view a link could give: a deck
  // longer than the class takes, say): the class stays on the last view it got, so the
  // lecturer is told, in the class panel, opened if it was folded. The next view the
  // server takes clears the note.
  async refused(response) {
    const error = this.box.querySelector(".fl-error");
    if (!response) {
      delete this.box.dataset.refused;
      error.textContent = "";
      return;
    }
    const body = await response.json().catch(() => ({}));
    const reasons = body.reasons ?? [body.error ?? `HTTP ${response.status}`];
    this.box.dataset.refused = reasons.join("; ");
    error.textContent =
      `Your class still sees your last view: this one was not sent (${reasons.join("; ")}).`;
    // The panel is in its component's shadow root: the expander is around the host.
    const folded = (this.box.getRootNode().host ?? this.box).closest("details");
    if (folded && !folded.open) folded.querySelector("summary")?.click();
  }
}

// --- a follower's side ----------------------------------------------------------------

// What a follower may touch without breaking away: the page's own furniture (sidebar
// open/close, the app menu, lecture layout) and the banner itself.
const KEEP_FOLLOWING = [
  '[data-testid="stSidebarCollapseButton"]',
  '[data-testid="stExpandSidebarButton"]',
  '[data-testid="stSidebarCollapsedControl"]',
  '[data-testid="stHeader"]',
  '[data-testid="stToolbar"]',
  ".st-key-lecture",
  ".fl-banner",
].join(",");
const CONTROLS =
  'button, input, select, textarea, label, summary, a[href], canvas, [role="slider"], ' +
  '[role="tab"], [role="option"], [role="radio"], [role="checkbox"], [role="switch"], [role="combobox"]';
const QUIET_KEYS = new Set(["Tab", "Shift", "Control", "Alt", "Meta", "Escape", "CapsLock"]);

class FollowBanner {
  constructor(root) {
    const box = document.createElement("div");
    box.className = "fl-banner";
    box.setAttribute("role", "status");
    box.innerHTML = `
      <strong class="fl-title"></strong>
      <span class="fl-text"></span>
      <button type="button" class="fl-again" hidden>Follow again <kbd>F</kbd></button>`;
    root.appendChild(box);
    this.box = box;
    this.mode = "follow";
    this.latest = null; // {id, state}
    this.failures = 0;
    box.querySelector(".fl-again").addEventListener("click", () => this.followAgain());
    this.onPointer = (event) => this.maybeBreakAway(event);
    this.onKey = (event) => {
      const target = event.composedPath()[0];
      const typing = target instanceof Element && target.closest("input, textarea, select, [contenteditable]");
      if (this.mode === "explore" && !typing && (event.key === "f" || event.key === "F")) {
        event.preventDefault();
        this.followAgain();
        return;
      }
      if (!QUIET_KEYS.has(event.key)) this.maybeBreakAway(event);
    };
    window.addEventListener("pointerdown", this.onPointer, true);
    window.addEventListener("keydown", this.onKey, true);
  }

  destroy() {
    window.removeEventListener("pointerdown", this.onPointer, true);
    window.removeEventListener("keydown", this.onKey, true);
    this.source?.close();
    clearTimeout(this.retry);
    clearTimeout(this.askAgain);
    this.box.remove();
  }

  update(data, setTriggerValue) {
    this.data = data;
    this.trigger = setTriggerValue;
    this.box.dataset.view = JSON.stringify(withoutLayout(data.view));
    this.box.dataset.slide = data.slide ?? "";
    if (this.code !== data.code) {
      this.code = data.code;
      this.connect();
    }
    this.render();
    // After the rerun a state asked for, its live move (e.g. the drag still going on).
    if (this.mode === "follow") setTimeout(() => this.apply(), 0);
  }

  connect() {
    this.source?.close();
    clearTimeout(this.retry);
    const last = this.mode === "explore" && this.latest ? `&last=${this.latest.id}` : "";
    const source = new EventSource(`api/classes/${this.code}/events?mode=${this.mode}${last}`);
    this.source = source;
    source.addEventListener("open", () => {
      this.failures = 0;
      this.opened = true;
      this.connection = "open";
      this.render();
    });
    source.addEventListener("state", (event) => {
      this.latest = { id: Number(event.lastEventId), state: JSON.parse(event.data) };
      this.idle = 0;
      if (this.mode === "follow") this.apply();
      this.render();
    });
    source.addEventListener("lead", (event) => {
      this.idle = JSON.parse(event.data).idle ?? 0;
      this.render();
    });
    source.addEventListener("ended", () => {
      source.close();
      this.mode = "ended";
      this.render();
    });
    source.addEventListener("error", () => {
      // EventSource retries by itself only sometimes (not after an HTTP error): one retry
      // policy for all, with back-off, so a class of 100 does not hammer a restarting server.
      if (this.source !== source || this.mode === "ended") return;
      source.close();
      this.failures += 1;
      this.connection = "reconnecting";
      this.render();
      const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.failures - 1)) * (0.75 + Math.random() / 2);
      this.retry = setTimeout(() => this.connect(), delay);
    });
  }

  // Make the page show the lecturer's latest state: one rerun if its view differs, else
  // its live move straight to the race map.
  apply() {
    if (!this.latest || this.mode !== "follow") return;
    const { id, state } = this.latest;
    if (!samePage(state, this.data)) {
      // One rerun per new view or slide: the drag states that arrive while it runs share
      // its view. Asked again if the page still differs a while later (a trigger sent
      // while the page's first run was starting can be lost).
      const page = pageOf(state);
      const wanted = JSON.stringify(page);
      const now = performance.now();
      if (this.askedFor?.view !== wanted || now - this.askedFor.at > ASK_AGAIN_MS) {
        this.askedFor = { view: wanted, at: now };
        this.trigger("view", page);
      }
      clearTimeout(this.askAgain);
      this.askAgain = setTimeout(() => this.apply(), ASK_AGAIN_MS + 100);
      return;
    }
    clearTimeout(this.askAgain);
    this.askedFor = null;
    if (this.moved === id) return;
    this.moved = id;
    const control = state.drag
      ? { kind: "slider", param: state.drag.param, value: state.drag.value }
      : state.play !== undefined
        ? { kind: state.play ? "play" : "pause" }
        : state.step !== undefined
          ? { kind: "step", delta: state.step }
          : state.frame !== undefined
            ? { kind: "frame", frame: state.frame }
            : null;
    if (control) window.dispatchEvent(new CustomEvent("mv-control", { detail: control }));
  }

  maybeBreakAway(event) {
    if (this.mode !== "follow" || !event.isTrusted) return;
    const path = event.composedPath().filter((node) => node instanceof Element);
    if (path.some((node) => node.matches(KEEP_FOLLOWING))) return;
    if (!path.some((node) => node.matches(CONTROLS))) return;
    this.mode = "explore";
    this.connect(); // counted as exploring; keeps receiving, for "Follow again"
    this.render();
  }

  followAgain() {
    this.mode = "follow";
    this.askedFor = null;
    this.moved = null;
    this.connect(); // the current state comes first, and is applied
    this.render();
  }

  render() {
    const box = this.box;
    box.dataset.mode = this.mode;
    box.dataset.connection = this.connection ?? "connecting";
    box.querySelector(".fl-title").textContent = this.latest?.state.title ?? "";
    box.querySelector(".fl-again").hidden = this.mode !== "explore";
    let text;
    if (this.mode === "ended") text = "The class has ended: you keep the lecturer's last view.";
    else if (this.connection === "reconnecting")
      text = this.opened
        ? "Connection lost: reconnecting…"
        : `No class ${this.code} answers (it may have ended): retrying…`;
    else if (this.idle > GONE_AFTER_S)
      text = `The lecturer's page has been silent for ${Math.round(this.idle / 60)} min: you keep the last view.`;
    else if (this.mode === "explore") text = "You are exploring on your own.";
    else text = `Following the lecturer (class ${this.code}).`;
    box.querySelector(".fl-text").textContent = text;
  }
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  if (!data || !data.role) return undefined;
  const Role = data.role === "follow" ? FollowBanner : LeadPanel;
  let panel = parentElement.__momentumVizClass;
  if (!panel || !(panel instanceof Role) || !parentElement.contains(panel.box)) {
    panel?.destroy();
    panel = parentElement.__momentumVizClass = new Role(parentElement);
  }
  panel.update(data, setTriggerValue);
  const render = (panel.renders = (panel.renders ?? 0) + 1);
  return () => {
    if (parentElement.__momentumVizClass !== panel || panel.renders !== render) return;
    panel.destroy();
    parentElement.__momentumVizClass = undefined;
  };
}
