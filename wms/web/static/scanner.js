/*
 * WmsScanner: the handheld scanner framework, and the flows pick, pack, load, gate, lookup.
 * Vanilla JavaScript, no build step, no text literals shown to people (every visible text
 * comes from the page's <script type="application/json" id="scan-strings">).
 *
 * HOW TO ADD A FLOW
 * -----------------
 * The page (a template extending scanner/base.html, rendered by scanner.render_flow()) says
 * which flow runs (config.flow).  In a script loaded after this one (defer), register it:
 *
 *   WmsScanner.flow("count", (S) => ({
 *     start() { S.next(S.t("scan_bin")); },            // called once the page is ready
 *     async onScan(scan) { ... },                      // scan = {code, entry: "scanned"|"typed"}
 *     onSettled(action, outcome) { ... },              // optional, see S.submit below
 *   }));
 *
 * What S offers:
 *   S.config, S.strings      the page's config and strings (JSON blocks of the page)
 *   S.t(key, {name: value})  a string with its %(name)s placeholders filled in
 *   S.num(n)                 a number formatted for the page's language
 *   S.$(id)                  document.getElementById
 *   S.next(step, target, detail)  the one big "expected next thing": a step line ("Go to bin"),
 *                            a big target ("SHA1-B-01") and a detail line; all optional
 *   S.ok(text)               success: a green line, a short high beep, a short buzz
 *   S.fail({title, text, detail, code})  the full-screen error overlay: a low tone, vibration;
 *                            returns a Promise resolved when the person has acknowledged it.
 *                            Until then every scan is ignored.  Acknowledging takes a deliberate
 *                            tap/click on its big button or the Escape key: Enter and Space
 *                            (which a scanner or a stray key may send) never dismiss it.
 *   S.api(method, path, body)  a direct JSON call to /api/v1/<path> (or an absolute path) with the
 *                            session cookie and X-CSRF-Token; resolves to the JSON answer; rejects
 *                            with S.ApiError (.status, .error = {code, message, field, ...}) or
 *                            S.NetworkError.  Use it for reads; writes that change stock use
 *                            S.submit.
 *   S.read(code)             what a scanned code means: POST /api/v1/scans (GS1 lot labels give
 *                            sku + lot_number + expiry_date at once); resolves to the reading
 *                            {kind: location|product|lot|sscc, sku, lot_number, ...} or null when
 *                            nothing answers to it; rejects with S.NetworkError.
 *   S.submit({path, body, label, entry, meta, method})  an action that must reach the server once:
 *                            it gets an Idempotency-Key made here (crypto.randomUUID), is stored in
 *                            localStorage BEFORE it is sent, is retried with the same key until
 *                            the server answers, and is shown in the pending list meanwhile.
 *                            `entry` ("typed" | "scanned") is sent as the X-Scan-Entry header.
 *                            Resolves to {outcome: "done", data} | {outcome: "refused", status,
 *                            error} | {outcome: "pending"} (kept for later: network down, 5xx,
 *                            signed out).  A refusal (4xx) is the caller's to show (S.fail).
 *                            Later outcomes of pending actions go to flow.onSettled(action,
 *                            outcome); refusals are shown by the framework with the action's label.
 *   S.pending(filter)        the actions of this user still waiting (array of stored actions)
 *   S.entryOf(...entries)    "typed" if any of the given entries was typed, else "scanned"
 *   S.busy(flag)             marks the page busy (aria-busy) while a call runs
 *   S.dispatch(code, entry)  feed a code to the flow as if scanned/typed (e.g. a tapped choice)
 *
 * WmsScanner.util: el(tag, props, ...children), table(headers, rows, numericColumns),
 * sameCode(a, b) (equal codes; GTINs equal whatever their leading zeros), enc (URI component).
 *
 * Typed or scanned: "typed" means the code did not come from the scanner (typed into "Type
 * instead", or chosen on the screen); an action is "typed" when any code in it was.
 * Refusals: every 4xx the page receives is also a console error in Chromium ("Failed to load
 * resource"); browser tests provoking one take it out with console_errors.expect(...).
 *
 * Scans: one page-level keyboard buffer.  Keys arriving less than config.scan_gap_ms apart
 * (a wedge scanner types a code in a few ms) and ending with Enter make one scan; so does a
 * fast burst of 6+ keys followed by silence (scanners set up without an Enter suffix).  A
 * scan never lands in a text field: when a burst starts while a field has the focus, the
 * field gets its text back.  A person types only into "Type instead" (entries sent as typed)
 * and into the flows' own labelled inputs (quantity, weight, seal).
 */
(function () {
  "use strict";

  const factories = {};
  const WmsScanner = {
    flow(name, factory) {
      factories[name] = factory;
    },
  };
  window.WmsScanner = WmsScanner;

  class ApiError extends Error {
    constructor(status, error) {
      super((error && error.message) || String(status));
      this.status = status;
      this.error = error || {};
    }
  }

  class NetworkError extends Error {}

  const SILENT_SCAN_MIN = 6; // keys in a burst that may end on silence instead of Enter
  const ACK_DELAY_MS = 600; // the overlay cannot be dismissed sooner (a tap in progress)
  const REQUEST_TIMEOUT_MS = 15000;
  const RETRY_MS = [3000, 6000, 15000, 30000, 60000];

  function readJson(id) {
    const el = document.getElementById(id);
    if (!el) {
      return {};
    }
    try {
      return JSON.parse(el.textContent || "{}");
    } catch (_) {
      return {};
    }
  }

  function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    // Plain-HTTP pages on the warehouse LAN are not a secure context: no randomUUID there.
    const b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function isTextField(el) {
    if (!el || !el.tagName) {
      return false;
    }
    if (el.isContentEditable || el.tagName === "TEXTAREA") {
      return true;
    }
    if (el.tagName !== "INPUT") {
      return false;
    }
    return !["button", "submit", "checkbox", "radio", "reset", "file", "hidden"].includes(el.type);
  }

  function makeScanner(config, strings) {
    const S = { config, strings, ApiError, NetworkError };
    const lang = document.documentElement.lang || "en";
    const numberFormat = new Intl.NumberFormat(lang);
    const $ = (id) => document.getElementById(id);
    S.$ = $;

    S.t = function (key, params) {
      let text = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
      if (params) {
        text = text.replace(/%\((\w+)\)[sd]/g, (whole, name) =>
          Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
        );
      }
      return text;
    };

    S.num = (n) => (typeof n === "number" ? numberFormat.format(n) : String(n));

    S.entryOf = (...entries) => (entries.includes("typed") ? "typed" : "scanned");

    // --- sound and vibration -------------------------------------------------------------

    let audio = null;
    function audioContext() {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) {
        return null;
      }
      if (!audio) {
        // Created after a key or a tap, so the browser lets it play.
        const active = navigator.userActivation ? navigator.userActivation.hasBeenActive : true;
        if (!active) {
          return null;
        }
        try {
          audio = new Ctx();
        } catch (_) {
          return null;
        }
      }
      if (audio.state === "suspended") {
        audio.resume().catch(() => {});
      }
      return audio;
    }

    function tone(notes) {
      const ctx = audioContext();
      if (!ctx) {
        return;
      }
      let at = ctx.currentTime + 0.01;
      for (const [frequency, seconds, type] of notes) {
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        osc.type = type || "square";
        osc.frequency.value = frequency;
        gain.gain.setValueAtTime(0.0001, at);
        gain.gain.exponentialRampToValueAtTime(0.3, at + 0.01);
        gain.gain.exponentialRampToValueAtTime(0.0001, at + seconds);
        osc.connect(gain).connect(ctx.destination);
        osc.start(at);
        osc.stop(at + seconds + 0.02);
        at += seconds + 0.06;
      }
    }

    function vibrate(pattern) {
      const active = navigator.userActivation ? navigator.userActivation.hasBeenActive : false;
      if (typeof navigator.vibrate === "function" && active) {
        try {
          navigator.vibrate(pattern);
        } catch (_) {
          /* not on this device */
        }
      }
    }

    // --- the expected next thing, success and the error overlay --------------------------

    S.next = function (step, target, detail) {
      $("scan-step").textContent = step || "";
      $("scan-target").textContent = target || "";
      $("scan-detail").textContent = detail || "";
      $("scan-target").hidden = !target;
      $("scan-detail").hidden = !detail;
    };

    let okTimer = null;
    S.ok = function (text) {
      const el = $("scan-ok");
      el.textContent = text;
      el.hidden = false;
      el.classList.remove("flash");
      void el.offsetWidth; // restart the animation
      el.classList.add("flash");
      tone([[1320, 0.08, "sine"]]);
      vibrate(40);
      clearTimeout(okTimer);
      okTimer = setTimeout(() => el.classList.remove("flash"), 900);
    };

    S.clearOk = function () {
      $("scan-ok").hidden = true;
    };

    const overlay = { open: false, since: 0, resolve: null, returnFocus: null };
    S.overlayOpen = () => overlay.open;

    S.fail = function ({ title, text, detail, code } = {}) {
      const box = $("scan-error");
      $("scan-error-title").textContent = title || S.t("error_title");
      $("scan-error-text").textContent = text || "";
      $("scan-error-detail").textContent = detail || "";
      $("scan-error-detail").hidden = !detail;
      $("scan-error-code").textContent = code ? S.t("scanned_code", { code }) : "";
      $("scan-error-code").hidden = !code;
      box.hidden = false;
      document.body.classList.add("scan-error-open");
      $("scan-app").setAttribute("aria-hidden", "true");
      overlay.open = true;
      overlay.since = performance.now();
      const ack = $("scan-error-ack");
      ack.setAttribute("aria-disabled", "true"); // for a moment: a tap in progress must not count
      clearTimeout(overlay.readyTimer);
      overlay.readyTimer = setTimeout(() => ack.removeAttribute("aria-disabled"), ACK_DELAY_MS);
      ack.focus();
      tone([
        [220, 0.22, "sawtooth"],
        [165, 0.22, "sawtooth"],
        [220, 0.22, "sawtooth"],
      ]);
      vibrate([300, 120, 300, 120, 300]);
      return new Promise((resolve) => {
        const previous = overlay.resolve;
        overlay.resolve = () => {
          if (previous) {
            previous();
          }
          resolve();
        };
      });
    };

    function acknowledge() {
      if (!overlay.open || performance.now() - overlay.since < ACK_DELAY_MS) {
        return;
      }
      overlay.open = false;
      $("scan-error").hidden = true;
      document.body.classList.remove("scan-error-open");
      $("scan-app").removeAttribute("aria-hidden");
      if (document.activeElement && document.activeElement.blur) {
        document.activeElement.blur(); // the next scan goes to the page, not to a field
      }
      const resolve = overlay.resolve;
      overlay.resolve = null;
      if (resolve) {
        resolve();
      }
    }

    $("scan-error-ack").addEventListener("click", (event) => {
      // event.detail is 0 for a click made by a key (Enter/Space on the focused button):
      // only a real tap or mouse click counts.
      if (event.detail > 0) {
        acknowledge();
      }
    });

    S.busy = function (flag) {
      $("scan-app").setAttribute("aria-busy", flag ? "true" : "false");
    };

    // --- JSON API ------------------------------------------------------------------------

    function csrf() {
      const meta = document.querySelector('meta[name="csrf-token"]');
      return meta ? meta.getAttribute("content") : "";
    }

    function url(path) {
      return path.startsWith("/") ? path : `${config.api}/${path}`;
    }

    S.api = async function (method, path, body, headers) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
      const sent = { Accept: "application/json", "X-CSRF-Token": csrf(), ...(headers || {}) };
      if (body !== undefined) {
        sent["Content-Type"] = "application/json";
      }
      let response;
      let data = null;
      try {
        response = await fetch(url(path), {
          method,
          headers: sent,
          body: body === undefined ? undefined : JSON.stringify(body),
          credentials: "same-origin",
          cache: "no-store",
          redirect: "error",
          signal: controller.signal,
        });
        const text = await response.text();
        if (text) {
          try {
            data = JSON.parse(text);
          } catch (_) {
            data = null;
          }
        }
      } catch (exc) {
        setNetwork(false);
        throw new NetworkError(String(exc));
      } finally {
        clearTimeout(timer);
      }
      setNetwork(true);
      if (!response.ok) {
        throw new ApiError(response.status, (data && data.error) || { message: response.statusText });
      }
      return data;
    };

    const readings = new Map();
    S.read = async function (code) {
      if (readings.has(code)) {
        return readings.get(code);
      }
      try {
        const reading = await S.api("POST", "scans", { scan: code });
        readings.set(code, reading);
        return reading;
      } catch (exc) {
        if (exc instanceof ApiError && (exc.status === 404 || exc.status === 422)) {
          return null;
        }
        throw exc;
      }
    };

    // --- the network line ----------------------------------------------------------------

    let online = navigator.onLine !== false;
    function setNetwork(up) {
      online = up;
      const el = $("scan-net");
      el.textContent = up ? S.t("online") : S.t("offline");
      el.classList.toggle("down", !up);
    }
    setNetwork(online);

    // --- actions that must reach the server once: the pending queue ----------------------

    const storeKey = `wms.scan.pending.${config.user}`;
    let memory = null; // used when localStorage refuses (private mode, quota)
    const inFlight = new Map();
    let note = "";

    function loadQueue() {
      if (memory) {
        return memory.slice();
      }
      try {
        const stored = JSON.parse(window.localStorage.getItem(storeKey) || "[]");
        return Array.isArray(stored) ? stored : [];
      } catch (_) {
        return [];
      }
    }

    function saveQueue(items) {
      if (!memory) {
        try {
          window.localStorage.setItem(storeKey, JSON.stringify(items));
          return;
        } catch (_) {
          memory = items.slice(); // kept for this page only: better than losing it
        }
      }
      memory = items.slice();
    }

    function update(key, change) {
      const items = loadQueue();
      const found = items.find((item) => item.key === key);
      if (found) {
        change(found);
        saveQueue(items);
      }
    }

    function remove(key) {
      saveQueue(loadQueue().filter((item) => item.key !== key));
    }

    S.pending = function (filter) {
      const items = loadQueue();
      return filter ? items.filter(filter) : items;
    };

    function renderPending() {
      const items = loadQueue();
      const count = $("scan-pending-count");
      const list = $("scan-pending-list");
      count.textContent = items.length ? S.t("pending_some", { n: S.num(items.length) }) : S.t("pending_none");
      $("scan-pending").classList.toggle("waiting", items.length > 0);
      $("scan-pending-details").hidden = items.length === 0;
      $("scan-pending-retry").hidden = items.length === 0;
      list.replaceChildren(
        ...items.map((item) => {
          const li = document.createElement("li");
          li.textContent = item.label + (item.entry === "typed" ? ` (${S.t("typed_marker")})` : "");
          if (item.lastError) {
            const why = document.createElement("span");
            why.className = "why";
            why.textContent = item.lastError;
            li.append(" ", why);
          }
          return li;
        }),
      );
      const noteEl = $("scan-pending-note");
      noteEl.textContent = items.length ? note : "";
      noteEl.hidden = !noteEl.textContent;
      $("scan-sign-in").hidden = !(items.length && note === S.t("pending_signed_out"));
    }

    window.addEventListener("storage", (event) => {
      if (event.key === storeKey) {
        renderPending();
      }
    });

    function keptReason(exc) {
      if (exc instanceof NetworkError) {
        return { keep: true, why: S.t("network_title") };
      }
      const error = exc.error || {};
      if (exc.status === 401) {
        return { keep: true, why: S.t("pending_signed_out"), signedOut: true };
      }
      if (exc.status === 403 && error.field === "csrf_token") {
        return { keep: true, why: S.t("pending_reload") };
      }
      if (exc.status >= 500 || exc.status === 408 || exc.status === 429) {
        return { keep: true, why: S.t("server_error") };
      }
      return { keep: false };
    }

    // One attempt to send a stored action.  Never throws.
    function send(item) {
      if (inFlight.has(item.key)) {
        return inFlight.get(item.key);
      }
      const attempt = (async () => {
        update(item.key, (stored) => {
          stored.attempts = (stored.attempts || 0) + 1;
        });
        try {
          const data = await S.api(item.method, item.path, item.body, {
            "Idempotency-Key": item.key,
            "X-Scan-Entry": item.entry,
          });
          remove(item.key);
          note = "";
          return { outcome: "done", data };
        } catch (exc) {
          const kept = keptReason(exc);
          if (!kept.keep) {
            remove(item.key);
            return { outcome: "refused", status: exc.status, error: exc.error || {} };
          }
          note = kept.signedOut ? S.t("pending_signed_out") : kept.why === S.t("pending_reload") ? kept.why : S.t("pending_queued");
          update(item.key, (stored) => {
            stored.lastError = kept.why;
          });
          return { outcome: "pending", network: exc instanceof NetworkError };
        } finally {
          inFlight.delete(item.key);
          renderPending();
        }
      })();
      inFlight.set(item.key, attempt);
      return attempt;
    }

    S.submit = async function ({ path, body, label, entry, meta, method }) {
      const item = {
        key: uuid(),
        method: method || "POST",
        path,
        body: body === undefined ? {} : body,
        label: label || path,
        entry: entry === "typed" ? "typed" : "scanned",
        flow: config.flow,
        meta: meta || {},
        created: new Date().toISOString(),
        attempts: 0,
      };
      const items = loadQueue();
      items.push(item);
      saveQueue(items); // stored before it is sent: a dropped connection loses nothing
      renderPending();
      S.busy(true);
      try {
        return await send(item);
      } finally {
        S.busy(false);
        scheduleRetry();
      }
    };

    // Later attempts of stored actions (after a reload, when the network is back, ...).
    let flushing = false;
    let retryIndex = 0;
    let retryTimer = null;

    async function flush() {
      if (flushing) {
        return;
      }
      flushing = true;
      try {
        for (const item of loadQueue()) {
          if (inFlight.has(item.key)) {
            continue;
          }
          const result = await send(item);
          if (result.outcome === "pending") {
            if (result.network || note === S.t("pending_signed_out")) {
              break; // no point sending the rest now
            }
            continue;
          }
          await settled(item, result);
        }
      } finally {
        flushing = false;
        scheduleRetry();
      }
    }
    S.flush = flush;

    async function settled(item, result) {
      const current = S.current;
      if (result.outcome === "refused") {
        await S.fail({
          title: S.t("refused_title"),
          text: S.t("not_recorded", { what: item.label }),
          detail: result.error.message || "",
        });
      } else if (result.outcome === "done") {
        S.ok(`${S.t("sent")}: ${item.label}`);
      }
      if (current && item.flow === config.flow && typeof current.onSettled === "function") {
        current.onSettled(item, result);
      }
    }

    function scheduleRetry(reset) {
      clearTimeout(retryTimer);
      if (reset) {
        retryIndex = 0;
      }
      if (!loadQueue().length) {
        retryIndex = 0;
        return;
      }
      const wait = RETRY_MS[Math.min(retryIndex, RETRY_MS.length - 1)];
      retryIndex += 1;
      retryTimer = setTimeout(flush, wait);
    }

    window.addEventListener("online", () => {
      setNetwork(true);
      scheduleRetry(true);
      flush();
    });
    window.addEventListener("offline", () => setNetwork(false));
    $("scan-pending-retry").addEventListener("click", () => {
      scheduleRetry(true);
      flush();
    });

    // --- scans: the page-level keyboard buffer -------------------------------------------

    const wedge = { buffer: "", last: -1e9, field: null, snapshot: null, timer: null };
    const gapMs = Number(config.scan_gap_ms) || 50;
    const silenceMs = Math.max(250, gapMs * 3); // longer than any gap inside a scan
    let scanChain = Promise.resolve();

    function resetWedge() {
      wedge.buffer = "";
      wedge.field = null;
      wedge.snapshot = null;
      clearTimeout(wedge.timer);
    }

    function restoreField() {
      const { field, snapshot } = wedge;
      if (field && snapshot) {
        field.value = snapshot.value;
        try {
          field.setSelectionRange(snapshot.start, snapshot.end);
        } catch (_) {
          /* not every input has a selection */
        }
        wedge.snapshot = null;
      }
    }

    function dispatch(code, entry) {
      const text = code.trim();
      if (!text) {
        return;
      }
      const last = $("scan-last");
      last.textContent = entry === "typed" ? `${text} (${S.t("typed_marker")})` : text;
      scanChain = scanChain
        .then(() => handle(text, entry))
        .catch((exc) => {
          S.busy(false);
          setTimeout(() => {
            throw exc; // a bug: reported as such, and the next scan still works
          }, 0);
        });
    }

    async function handle(text, entry) {
      if (overlay.open) {
        return; // not acknowledged yet: this scan is not accepted
      }
      const flow = S.current;
      if (!flow || typeof flow.onScan !== "function") {
        return;
      }
      S.busy(true);
      try {
        await flow.onScan({ code: text, entry });
      } catch (exc) {
        if (exc instanceof NetworkError) {
          await S.fail({ title: S.t("network_title"), text: S.t("network_read"), code: text });
        } else if (exc instanceof ApiError) {
          await S.fail({ title: S.t("refused_title"), text: exc.error.message || "", code: text });
        } else {
          throw exc;
        }
      } finally {
        S.busy(false);
      }
    }
    S.dispatch = dispatch;

    // Keys arriving fast belong to one scan.  Outside a text field every printable key goes
    // to the buffer.  Inside one, the first two keys of a fast run reach the field (a
    // person's two-key rollover loses nothing); from the third key, or at the Enter ending a
    // fast run, it is a scan: the field gets its text back and the code goes to the flow.
    document.addEventListener(
      "keydown",
      (event) => {
        if (overlay.open) {
          // Only Escape (or a tap on the button) acknowledges; nothing else gets through.
          if (event.key === "Escape") {
            acknowledge();
          }
          event.preventDefault();
          event.stopPropagation();
          resetWedge();
          return;
        }
        let key = event.key;
        if (event.ctrlKey && key === "]" && wedge.buffer) {
          key = "\u001d"; // GS (FNC1 separator) as a wedge scanner types it: Ctrl+]
        } else if (event.ctrlKey || event.altKey || event.metaKey || event.isComposing) {
          return;
        }
        const now = event.timeStamp;
        const gap = now - wedge.last;
        const target = event.target;
        const inField = isTextField(target);
        if (key === "Enter") {
          if (wedge.buffer.length >= 2 && gap <= gapMs * 2) {
            event.preventDefault();
            event.stopPropagation();
            restoreField();
            const code = wedge.buffer;
            resetWedge();
            wedge.last = -1e9;
            dispatch(code, "scanned");
            return;
          }
          if (!inField && wedge.buffer.length === 1) {
            event.preventDefault(); // a stray key then Enter: not a scan, not a click either
          }
          resetWedge();
          return;
        }
        if (key.length !== 1) {
          return; // Shift, Tab, arrows, Backspace, a soft keyboard's "Unidentified": not a code
        }
        clearTimeout(wedge.timer);
        if (gap > gapMs || !wedge.buffer) {
          // A new run: maybe a person typing, maybe the first key of a scan.
          wedge.buffer = key;
          wedge.field = inField ? target : null;
          wedge.snapshot = inField
            ? { value: target.value, start: target.selectionStart, end: target.selectionEnd }
            : null;
          if (!inField) {
            event.preventDefault(); // nothing on the page reacts to a loose key (space scrolls)
          }
        } else {
          wedge.buffer += key;
          if (!inField || wedge.buffer.length >= 3 || key === "\u001d") {
            // A scanner: the run goes to the buffer, never into a field.
            event.preventDefault();
            event.stopPropagation();
            restoreField();
          }
          if (wedge.buffer.length >= SILENT_SCAN_MIN) {
            wedge.timer = setTimeout(() => {
              restoreField();
              const code = wedge.buffer;
              resetWedge();
              dispatch(code, "scanned");
            }, silenceMs);
          }
        }
        wedge.last = now;
      },
      true,
    );

    // Stop the keypress/input of a burst's keys too (some browsers insert on keypress).
    document.addEventListener(
      "keypress",
      (event) => {
        if (overlay.open) {
          event.preventDefault();
        }
      },
      true,
    );

    // "Type instead": the only place a person types a code; it is sent flagged as typed.
    const typeForm = $("scan-type-form");
    const typeInput = $("scan-type-input");
    const typeOpen = $("scan-type-open");
    function closeTyping() {
      typeForm.hidden = true;
      typeOpen.hidden = false;
      typeOpen.setAttribute("aria-expanded", "false");
      typeInput.value = "";
      typeInput.blur();
    }
    typeOpen.addEventListener("click", () => {
      typeForm.hidden = false;
      typeOpen.hidden = true;
      typeOpen.setAttribute("aria-expanded", "true");
      typeInput.focus();
    });
    $("scan-type-cancel").addEventListener("click", closeTyping);
    typeForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const value = typeInput.value;
      closeTyping();
      dispatch(value, "typed");
    });

    renderPending();
    return S;
  }

  // --- helpers for the flows -------------------------------------------------------------

  const enc = encodeURIComponent;

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  }

  // A cell is a text, a node, or a list of them (an SKU over its lot).
  function table(headers, rows, numeric) {
    const cls = (i) => (numeric.includes(i) ? "num" : "");
    return el(
      "table",
      { className: "data scan-table" },
      el("thead", null, el("tr", null, ...headers.map((h, i) => el("th", { scope: "col", className: cls(i) }, h)))),
      el("tbody", null, ...rows.map((row) => el("tr", null, ...row.map((cell, i) => el("td", { className: cls(i) }, ...[].concat(cell)))))),
    );
  }

  function sameCode(a, b) {
    if (!a || !b) {
      return false;
    }
    const x = String(a).trim();
    const y = String(b).trim();
    if (x === y) {
      return true;
    }
    // GTIN-8/12/13/14 are one number written with more or fewer leading zeros.
    return /^\d{8,14}$/.test(x) && /^\d{8,14}$/.test(y) && x.replace(/^0+/, "") === y.replace(/^0+/, "");
  }

  WmsScanner.util = { el, table, sameCode, enc };

  // --- pick a wave -------------------------------------------------------------------------

  WmsScanner.flow("pick", (S) => {
    const wave = S.config.wave;
    if (!wave) {
      // No wave chosen yet: the page lists the open waves; a scanned wave number opens one.
      return {
        start() {
          S.next(S.t("choose_wave"));
        },
        async onScan({ code }) {
          try {
            await S.api("GET", `waves/${enc(code)}`);
          } catch (exc) {
            if (exc instanceof S.ApiError && exc.status === 404) {
              await S.fail({ title: S.t("wrong_scan_title"), text: S.t("no_wave", { wave: code }), code });
              return;
            }
            throw exc;
          }
          window.location.assign(`${S.config.pick_url}?wave=${enc(code)}`);
        },
      };
    }
    let tasks = [];
    let task = null;
    let step = "bin";
    let quantity = 0;
    let atBin = null; // the bin last confirmed by a scan
    const entries = {};
    const qtyBox = S.$("pick-quantity");
    const qtyValue = S.$("pick-qty-value");
    const confirmBtn = S.$("pick-confirm");
    const shortBtn = S.$("pick-short");
    const progress = S.$("pick-progress");
    const doneBox = S.$("pick-done");

    function pendingHere() {
      return S.pending((a) => a.flow === "pick" && a.meta && a.meta.wave === wave);
    }

    // background: a refresh after an action was sent; the screen stays as it is when the
    // network does not answer (the picker goes on with what the device knows).
    async function load(background) {
      if (!background) {
        S.next(S.t("loading"));
      }
      let data;
      try {
        data = await S.api("GET", `waves/${enc(wave)}/pick-list`);
      } catch (exc) {
        if (background && exc instanceof S.NetworkError) {
          return;
        }
        if (exc instanceof S.ApiError && exc.status === 404) {
          await S.fail({ title: S.t("wrong_scan_title"), text: S.t("no_wave", { wave }) });
          window.location.assign(S.config.pick_url);
          return;
        }
        if (exc instanceof S.NetworkError) {
          await S.fail({ title: S.t("network_title"), text: S.t("network_read") });
          setTimeout(load, 3000);
          return;
        }
        throw exc;
      }
      // What this device has picked but not yet sent is done here too.
      const waiting = new Set(pendingHere().map((a) => `${a.meta.sequence}`));
      tasks = data.tasks.filter((t) => !t.done && t.to_pick > 0 && !waiting.has(`${t.sequence}`));
      show();
    }

    function show() {
      qtyBox.hidden = true;
      if (!tasks.length) {
        step = "done";
        task = null;
        S.next(S.t("wave_done", { wave }), "", "");
        doneBox.hidden = false;
        progress.textContent = "";
        return;
      }
      doneBox.hidden = true;
      if (!task || !tasks.includes(task)) {
        task = tasks[0];
        entries.bin = entries.item = entries.lot = undefined;
        step = atBin === task.bin ? "item" : "bin";
        if (step === "item") {
          entries.bin = "scanned";
        }
      }
      progress.textContent = S.t("wave_left", { n: S.num(tasks.length) });
      const product = `${task.sku} · ${task.product_name}`;
      const lot = S.t("lot_of", { lot: task.lot_number });
      if (step === "bin") {
        S.next(S.t("go_to_bin"), task.bin, `${S.t("quantity_hint", { n: S.num(task.to_pick), sku: task.sku })} · ${lot}`);
      } else if (step === "item") {
        S.next(S.t("scan_item"), task.sku, `${task.product_name} · ${lot} · ${task.bin}`);
      } else if (step === "lot") {
        S.next(S.t("scan_lot"), task.lot_number, `${product} · ${task.bin}`);
      } else if (step === "quantity") {
        S.next(S.t("take"), S.num(quantity), `${product} · ${lot} · ${S.t("put_in_tote", { tote: task.tote })}`);
        showQuantity();
      }
    }

    function showQuantity() {
      qtyBox.hidden = false;
      qtyValue.value = String(quantity);
      confirmBtn.textContent = S.t("confirm_pick", { n: S.num(quantity) });
      confirmBtn.disabled = quantity < 1;
      shortBtn.textContent = S.t("report_short", { n: S.num(quantity) });
      shortBtn.hidden = quantity >= task.to_pick;
      S.$("scan-target").textContent = S.num(quantity);
    }

    async function wrong(text, code) {
      await S.fail({ title: S.t("wrong_scan_title"), text, code });
    }

    async function onBin({ code, entry }) {
      if (code === task.bin) {
        entries.bin = entry;
        atBin = code;
        step = "item";
        S.ok(`✓ ${code}`);
        show();
        return;
      }
      let reading = null;
      try {
        reading = await S.read(code);
      } catch (exc) {
        if (!(exc instanceof S.NetworkError)) {
          throw exc;
        }
      }
      const isBin = !reading || reading.kind === "location";
      await wrong(
        isBin ? S.t("wrong_bin", { scanned: code, expected: task.bin }) : S.t("not_a_bin", { expected: task.bin }),
        code,
      );
    }

    async function onItem({ code, entry }) {
      if (sameCode(code, task.sku) || sameCode(code, task.gtin)) {
        entries.item = entry;
        step = "lot";
        show();
        return;
      }
      const reading = await S.read(code);
      if (!reading || !reading.sku) {
        await wrong(S.t("wrong_item", { scanned: code, expected: task.sku }), code);
        return;
      }
      if (reading.sku !== task.sku) {
        await wrong(S.t("wrong_item", { scanned: reading.sku, expected: task.sku }), code);
        return;
      }
      entries.item = entry;
      if (reading.kind === "lot") {
        // A GS1 lot label: SKU, lot and expiry in one scan.
        if (reading.lot_number !== task.lot_number) {
          await wrong(S.t("wrong_lot", { scanned: reading.lot_number, expected: task.lot_number }), code);
          return;
        }
        entries.lot = entry;
        startQuantity();
        return;
      }
      step = "lot";
      show();
    }

    async function onLot({ code, entry }) {
      let lot = code;
      if (code !== task.lot_number) {
        let reading = null;
        try {
          reading = await S.read(code);
        } catch (exc) {
          if (!(exc instanceof S.NetworkError)) {
            throw exc;
          }
        }
        if (reading && reading.kind === "lot") {
          if (reading.sku !== task.sku) {
            await wrong(S.t("wrong_item", { scanned: reading.sku, expected: task.sku }), code);
            return;
          }
          lot = reading.lot_number;
        }
      }
      if (lot !== task.lot_number) {
        await wrong(S.t("wrong_lot", { scanned: lot, expected: task.lot_number }), code);
        return;
      }
      entries.lot = entry;
      startQuantity();
    }

    function startQuantity() {
      step = "quantity";
      quantity = task.to_pick;
      S.ok(`✓ ${task.sku} · ${S.t("lot_of", { lot: task.lot_number })}`);
      show();
    }

    function setQuantity(n) {
      quantity = Math.max(0, Math.min(task.to_pick, n));
      showQuantity();
    }

    S.$("pick-less").addEventListener("click", () => setQuantity(quantity - 1));
    S.$("pick-more").addEventListener("click", () => setQuantity(quantity + 1));
    qtyValue.addEventListener("change", () => {
      const n = Number.parseInt(qtyValue.value, 10);
      setQuantity(Number.isFinite(n) ? n : quantity);
      entries.quantity = "typed";
    });

    async function record(kind) {
      const current = task;
      const n = quantity;
      const base = { bin_barcode: current.bin, product_code: current.sku, lot_number: current.lot_number, order_id: current.order_id };
      const names = { n: S.num(n), sku: current.sku, lot: current.lot_number, bin: current.bin, wave };
      const action =
        kind === "pick"
          ? { path: `waves/${enc(wave)}/picks`, body: { ...base, quantity: n }, label: S.t("pick_label", names) }
          : { path: `waves/${enc(wave)}/shorts`, body: { ...base, found_quantity: n }, label: S.t("short_label", names) };
      action.entry = S.entryOf(entries.bin, entries.item, entries.lot);
      action.meta = { wave, sequence: current.sequence, kind };
      confirmBtn.disabled = true;
      shortBtn.disabled = true;
      try {
        const result = await S.submit(action);
        if (result.outcome === "done") {
          if (kind === "pick") {
            S.ok(S.t("picked", { n: S.num(n), sku: current.sku }));
          } else {
            S.ok(S.t("shorted", { found: S.num(result.data.found), missing: S.num(result.data.missing) }));
          }
          task = null;
          await load();
        } else if (result.outcome === "pending") {
          S.ok(S.t("pending_queued"));
          tasks = tasks.filter((t) => t !== current);
          task = null;
          show();
        } else {
          await S.fail({ title: S.t("refused_title"), text: S.t("not_recorded", { what: action.label }), detail: result.error.message || "" });
          task = null;
          await load();
        }
      } finally {
        confirmBtn.disabled = false;
        shortBtn.disabled = false;
      }
    }

    confirmBtn.addEventListener("click", () => record("pick"));
    shortBtn.addEventListener("click", () => record("short"));

    return {
      start() {
        step = "bin";
        load();
      },
      async onScan(scan) {
        if (!task) {
          return;
        }
        if (step === "bin") {
          await onBin(scan);
        } else if (step === "item") {
          await onItem(scan);
        } else if (step === "lot") {
          await onLot(scan);
        } else if (step === "quantity") {
          if (sameCode(scan.code, task.bin) || sameCode(scan.code, task.sku) || sameCode(scan.code, task.gtin)) {
            return; // the same bin or item again: nothing to do, the quantity is on screen
          }
          await wrong(S.t("confirm_first"), scan.code);
        }
      },
      onSettled(action) {
        // Refresh the list unless the picker is in the middle of a line.
        if (action.meta && action.meta.wave === wave && (step === "bin" || step === "done")) {
          task = null;
          load(true);
        }
      },
    };
  });

  // --- pack and weigh ------------------------------------------------------------------------

  WmsScanner.flow("pack", (S) => {
    let step = "order";
    let orderRef = null;
    let orderEntry = "scanned";
    let expected = null; // sku -> picked quantity, when the order could be read
    let orderNumber = null;
    let items = []; // {sku, lot_number, quantity, entry}
    let box = null;
    const itemsBox = S.$("pack-items");
    const itemsList = S.$("pack-items-list");
    const boxesBox = S.$("pack-boxes");
    const weightForm = S.$("pack-weight");
    const weightInput = S.$("pack-weight-input");
    const doneBox = S.$("pack-done");
    const recent = S.$("pack-recent");
    let boxTypes = [];

    function scannedCount() {
      return items.reduce((sum, i) => sum + i.quantity, 0);
    }

    function expectedCount() {
      return expected ? Object.values(expected).reduce((a, b) => a + b, 0) : null;
    }

    function renderItems() {
      itemsList.replaceChildren(
        ...items.map((i) =>
          el("li", null, `${S.num(i.quantity)} × ${i.sku}${i.lot_number ? ` · ${S.t("lot_of", { lot: i.lot_number })}` : ""}`),
        ),
      );
      S.$("pack-items-done").hidden = step !== "items" || !items.length;
      S.$("pack-remove").hidden = !items.length || step !== "items";
    }

    function show() {
      itemsBox.hidden = step === "order" || step === "done";
      boxesBox.hidden = step !== "box";
      weightForm.hidden = step !== "weight";
      doneBox.hidden = step !== "done";
      renderItems();
      const order = orderNumber ? S.t("order_is", { order: orderNumber }) : orderRef || "";
      if (step === "order") {
        S.next(S.t("scan_order"));
      } else if (step === "items") {
        const total = expectedCount();
        S.next(
          S.t("scan_items"),
          total === null ? S.num(scannedCount()) : S.t("expected_items", { scanned: S.num(scannedCount()), expected: S.num(total) }),
          order,
        );
      } else if (step === "box") {
        S.next(S.t("choose_box"), "", order);
        if (!boxTypes.length) {
          S.$("pack-no-boxes").hidden = false;
        }
      } else if (step === "weight") {
        S.next(S.t("weigh"), box ? box.code : "", S.t("weight_hint"));
      }
    }

    function reset() {
      step = "order";
      orderRef = orderNumber = expected = box = null;
      items = [];
      weightInput.value = "";
      show();
    }

    async function onOrder({ code, entry }) {
      // A tote (O + the order id) is read now; a tracking or order number is checked by the
      // server when the parcel is packed.
      orderRef = code;
      orderEntry = entry;
      expected = null;
      orderNumber = null;
      const tote = /^[Oo](\d{1,18})$/.exec(code);
      if (tote) {
        try {
          const order = await S.api("GET", `orders/${tote[1]}`);
          orderNumber = order.order_number;
          expected = {};
          for (const line of order.lines) {
            if (line.picked_quantity) {
              expected[line.sku] = (expected[line.sku] || 0) + line.picked_quantity;
            }
          }
        } catch (exc) {
          if (exc instanceof S.ApiError && exc.status === 404) {
            await S.fail({ title: S.t("wrong_scan_title"), text: exc.error.message || "", code });
            orderRef = null;
            return;
          }
          if (!(exc instanceof S.NetworkError)) {
            throw exc;
          }
        }
      }
      step = "items";
      S.ok(`✓ ${code}`);
      show();
    }

    async function onItem({ code, entry }) {
      const reading = await S.read(code);
      if (!reading || !reading.sku) {
        await S.fail({ title: S.t("wrong_scan_title"), text: S.t("unknown_code"), code });
        return;
      }
      const sku = reading.sku;
      if (expected && !(sku in expected)) {
        await S.fail({ title: S.t("wrong_scan_title"), text: S.t("item_not_in_order", { sku }), code });
        return;
      }
      const already = items.filter((i) => i.sku === sku).reduce((a, i) => a + i.quantity, 0);
      if (expected && already + 1 > expected[sku]) {
        await S.fail({ title: S.t("wrong_scan_title"), text: S.t("too_many", { sku, n: S.num(expected[sku]) }), code });
        return;
      }
      const lot = reading.kind === "lot" ? reading.lot_number : null;
      const same = items.find((i) => i.sku === sku && i.lot_number === lot);
      if (same) {
        same.quantity += 1;
        same.entry = S.entryOf(same.entry, entry);
      } else {
        items.push({ sku, lot_number: lot, quantity: 1, entry });
      }
      S.ok(S.t("item_added", { sku, n: S.num(already + 1) }));
      if (expected && scannedCount() === expectedCount()) {
        S.ok(S.t("items_done"));
        step = "box";
      }
      show();
    }

    function chooseBox(code) {
      const found = boxTypes.find((b) => b.code === code);
      if (!found) {
        return false;
      }
      box = found;
      step = "weight";
      show();
      weightInput.focus();
      return true;
    }

    async function submitPack() {
      const grams = Number(weightInput.value.trim());
      if (!Number.isInteger(grams) || grams <= 0) {
        await S.fail({ title: S.t("wrong_scan_title"), text: S.t("weight_invalid") });
        return;
      }
      const body = {
        order_ref: orderRef,
        items: items.map((i) => ({ product_code: i.sku, lot_number: i.lot_number, quantity: i.quantity })),
        gross_weight_g: grams,
        box_code: box.code,
      };
      const label = S.t("pack_label", { order: orderNumber || orderRef, n: S.num(scannedCount()), weight: S.num(grams), box: box.code });
      const entry = S.entryOf(orderEntry, ...items.map((i) => i.entry));
      const result = await S.submit({ path: "parcels", body, label, entry, meta: { order_ref: orderRef } });
      if (result.outcome === "done") {
        packed(result.data);
      } else if (result.outcome === "pending") {
        S.ok(S.t("pending_queued"));
        reset();
      } else {
        await S.fail({ title: S.t("refused_title"), text: S.t("not_recorded", { what: label }), detail: result.error.message || "" });
      }
    }

    function printForm(parcel) {
      const form = el("form", { method: "post", action: `${S.config.api}/parcels/${enc(parcel)}/label`, target: "_blank", className: "scan-print" });
      form.append(
        el("input", { type: "hidden", name: "csrf_token", value: document.querySelector('meta[name="csrf-token"]').getAttribute("content") }),
        el("button", { type: "submit", className: "scan-button primary" }, `${S.t("print_label")} · ${parcel}`),
      );
      return form;
    }

    function packed(data) {
      S.ok(S.t("packed", { parcel: data.parcel_number, weight: S.num(data.gross_weight_g) }));
      step = "done";
      show();
      S.next(S.t("packed", { parcel: data.parcel_number, weight: S.num(data.gross_weight_g) }), data.parcel_number, data.tracking_number || "");
      S.$("pack-print").replaceChildren(printForm(data.parcel_number));
      recent.prepend(el("li", null, printForm(data.parcel_number)));
      S.$("pack-recent-box").hidden = false;
    }

    S.$("pack-items-done").addEventListener("click", () => {
      step = "box";
      show();
    });
    S.$("pack-remove").addEventListener("click", () => {
      const last = items[items.length - 1];
      if (last) {
        last.quantity -= 1;
        if (!last.quantity) {
          items.pop();
        }
      }
      show();
    });
    S.$("pack-next").addEventListener("click", reset);
    S.$("pack-restart").addEventListener("click", reset);
    weightForm.addEventListener("submit", (event) => {
      event.preventDefault();
      submitPack();
    });

    async function loadBoxes() {
      try {
        const data = await S.api("GET", "box-types");
        boxTypes = data.box_types;
      } catch (exc) {
        if (!(exc instanceof S.NetworkError)) {
          throw exc;
        }
        boxTypes = [];
      }
      const list = S.$("pack-box-list");
      list.replaceChildren(
        ...boxTypes.map((b) => {
          const button = el("button", { type: "button", className: "scan-button" }, `${b.code} · ${b.name}`);
          button.addEventListener("click", () => chooseBox(b.code));
          return el("li", null, button);
        }),
      );
    }

    return {
      start() {
        loadBoxes();
        show();
      },
      async onScan(scan) {
        if (step === "order" || step === "done") {
          if (step === "done") {
            reset();
          }
          await onOrder(scan);
        } else if (step === "items") {
          await onItem(scan);
        } else if (step === "box") {
          if (!chooseBox(scan.code)) {
            await S.fail({ title: S.t("wrong_scan_title"), text: S.t("choose_box"), code: scan.code });
          }
        } else if (step === "weight") {
          if (/^\d{1,7}$/.test(scan.code)) {
            weightInput.value = scan.code; // a scale that types its reading
          } else {
            await S.fail({ title: S.t("wrong_scan_title"), text: S.t("weight_invalid"), code: scan.code });
          }
        }
      },
      onSettled(action, result) {
        if (result.outcome === "done" && action.path === "parcels") {
          recent.prepend(el("li", null, printForm(result.data.parcel_number)));
          S.$("pack-recent-box").hidden = false;
        }
      },
    };
  });

  // --- release batches: shared by load and gate ------------------------------------------

  function batchFlow(S, wantStatus) {
    const info = S.$("batch-info");
    const chooser = S.$("batch-choose");
    const state = { batch: null };

    function describe(batch) {
      info.hidden = false;
      chooser.hidden = true;
      S.$("batch-number").textContent = batch.number;
      S.$("batch-vehicle").textContent = S.t("vehicle", { plate: batch.vehicle_plate });
      S.$("batch-seal").textContent = batch.seal_number ? S.t("seal", { seal: batch.seal_number }) : "";
      S.$("batch-status").textContent = S.t(`status_${batch.status}`);
      S.$("batch-count").textContent = S.t("parcels_on", { n: S.num(batch.parcels.length) });
      const list = S.$("batch-parcels");
      list.replaceChildren(...batch.parcels.map((p) => el("li", null, `${p.number} · ${p.order_number}`)));
    }

    async function open(code) {
      let batch;
      try {
        batch = await S.api("GET", `release-batches/${enc(code)}`);
      } catch (exc) {
        if (exc instanceof S.ApiError && exc.status === 404) {
          await S.fail({ title: S.t("wrong_scan_title"), text: S.t("no_batch", { batch: code }), code });
          return null;
        }
        throw exc;
      }
      if (batch.status !== wantStatus) {
        const key = { open: "not_loading", closed: batch.status === "open" ? "not_sealed" : "already_out" }[wantStatus];
        await S.fail({ title: S.t("wrong_scan_title"), text: S.t(key, { batch: batch.number }), code });
        return null;
      }
      state.batch = batch;
      describe(batch);
      return batch;
    }

    function leave() {
      state.batch = null;
      info.hidden = true;
      chooser.hidden = false;
    }

    for (const button of document.querySelectorAll("[data-batch]")) {
      button.addEventListener("click", () => S.dispatch(button.getAttribute("data-batch"), "typed"));
    }
    S.$("batch-other").addEventListener("click", () => {
      leave();
      S.next(S.t("scan_batch"));
    });
    return { state, open, describe, leave };
  }

  // --- load a release batch ------------------------------------------------------------------

  WmsScanner.flow("load", (S) => {
    const b = batchFlow(S, "open");
    let step = "batch";
    const closeForm = S.$("load-close");
    const sealInput = S.$("load-seal");

    function show() {
      closeForm.hidden = step !== "seal";
      S.$("load-finish").hidden = step !== "parcels";
      if (step === "batch") {
        S.next(S.t("scan_batch"));
      } else if (step === "parcels") {
        S.next(S.t("scan_parcel"), S.num(b.state.batch.parcels.length), S.t("vehicle", { plate: b.state.batch.vehicle_plate }));
      } else if (step === "seal") {
        S.next(S.t("scan_seal"), "", b.state.batch.number);
      } else if (step === "closed") {
        S.next(S.t("closed", { batch: b.state.batch.number, seal: b.state.batch.seal_number }), "", "");
      }
    }

    async function refresh() {
      if (b.state.batch) {
        const batch = await S.api("GET", `release-batches/${enc(b.state.batch.number)}`);
        b.state.batch = batch;
        b.describe(batch);
      }
    }

    async function loadParcel({ code, entry }) {
      const batch = b.state.batch;
      const result = await S.submit({
        path: `release-batches/${enc(batch.number)}/parcels`,
        body: { parcel_code: code },
        label: S.t("load_label", { parcel: code, batch: batch.number }),
        entry,
        meta: { batch: batch.number },
      });
      if (result.outcome === "done") {
        S.ok(S.t("loaded", { parcel: result.data.parcel, n: S.num(result.data.parcels_on_batch) }));
        await refresh().catch(() => {});
        show();
      } else if (result.outcome === "pending") {
        S.ok(S.t("pending_queued"));
      } else {
        await S.fail({ title: S.t("refused_title"), text: result.error.message || "", code });
      }
    }

    async function close(seal) {
      const batch = b.state.batch;
      if (!seal) {
        await S.fail({ title: S.t("wrong_scan_title"), text: S.t("seal_missing") });
        return;
      }
      if (S.pending((a) => a.meta && a.meta.batch === batch.number).length) {
        await S.fail({ title: S.t("network_title"), text: S.t("wait_pending") });
        return;
      }
      try {
        await S.api("POST", `release-batches/${enc(batch.number)}/close`, { seal_number: seal });
      } catch (exc) {
        if (exc instanceof S.ApiError && exc.status === 409) {
          // Closed already (an earlier try whose answer was lost)?  Then it is done.
          const now = await S.api("GET", `release-batches/${enc(batch.number)}`);
          if (!(now.status === "closed" && now.seal_number === seal)) {
            throw exc;
          }
        } else {
          throw exc;
        }
      }
      await refresh();
      step = "closed";
      S.ok(S.t("closed", { batch: batch.number, seal }));
      show();
    }

    S.$("load-finish").addEventListener("click", () => {
      step = "seal";
      show();
      sealInput.focus();
    });
    closeForm.addEventListener("submit", (event) => {
      event.preventDefault();
      S.dispatch(sealInput.value, "typed");
    });
    S.$("batch-other").addEventListener("click", () => {
      step = "batch";
      show();
    });

    return {
      start() {
        show();
      },
      async onScan(scan) {
        if (step === "batch" || step === "closed") {
          if (await b.open(scan.code)) {
            step = "parcels";
            S.ok(`✓ ${b.state.batch.number}`);
            show();
          }
        } else if (step === "parcels") {
          await loadParcel(scan);
        } else if (step === "seal") {
          sealInput.value = scan.code;
          await close(scan.code.trim());
        }
      },
      onSettled(action) {
        if (b.state.batch && action.meta && action.meta.batch === b.state.batch.number) {
          refresh()
            .then(show)
            .catch(() => {});
        }
      },
    };
  });

  // --- gate-out ------------------------------------------------------------------------------

  WmsScanner.flow("gate", (S) => {
    const b = batchFlow(S, "closed");
    let step = "batch";
    const confirmBtn = S.$("gate-confirm");

    function show() {
      confirmBtn.hidden = step !== "confirm";
      S.$("gate-note").hidden = step !== "confirm";
      if (step === "batch") {
        S.next(S.t("scan_batch"));
      } else if (step === "confirm") {
        const batch = b.state.batch;
        confirmBtn.textContent = S.t("confirm_gate", { batch: batch.number });
        S.next(S.t("check_seal", { seal: batch.seal_number }), batch.seal_number, S.t("vehicle", { plate: batch.vehicle_plate }));
      }
    }

    async function gateOut(entry) {
      const batch = b.state.batch;
      confirmBtn.disabled = true;
      try {
        const result = await S.submit({
          path: `release-batches/${enc(batch.number)}/gate-out`,
          body: {},
          label: S.t("gate_label", { batch: batch.number }),
          entry,
          meta: { batch: batch.number },
        });
        if (result.outcome === "done") {
          gone(result.data);
        } else if (result.outcome === "pending") {
          S.ok(S.t("pending_queued"));
        } else {
          await S.fail({ title: S.t("refused_title"), text: result.error.message || "", detail: S.t("all_or_nothing") });
        }
      } finally {
        confirmBtn.disabled = false;
      }
    }

    function gone(data) {
      const text = S.t("gated_out", { batch: data.batch_number, parcels: S.num(data.parcels), orders: S.num(data.orders), units: S.num(data.units) });
      S.ok(text);
      step = "batch";
      b.leave();
      show();
      S.next(text, data.batch_number, S.t("vehicle", { plate: data.vehicle_plate }));
    }

    confirmBtn.addEventListener("click", () => gateOut("typed"));
    S.$("batch-other").addEventListener("click", () => {
      step = "batch";
      show();
    });

    return {
      start() {
        show();
      },
      async onScan(scan) {
        if (step === "confirm") {
          const batch = b.state.batch;
          if (scan.code === batch.seal_number || scan.code === batch.number) {
            await gateOut(scan.entry); // the guard scans the seal (or the pass) to let it out
            return;
          }
          await S.fail({ title: S.t("wrong_scan_title"), text: S.t("seal_mismatch", { seal: batch.seal_number }), code: scan.code });
          return;
        }
        if (await b.open(scan.code)) {
          step = "confirm";
          show();
        }
      },
      onSettled(action, result) {
        if (result.outcome === "done" && action.path.endsWith("/gate-out")) {
          gone(result.data);
        }
      },
    };
  });

  // --- what is where ---------------------------------------------------------------------------

  WmsScanner.flow("lookup", (S) => {
    const out = S.$("lookup-result");

    function render(rows, columns) {
      const headers = columns.map((c) => S.t(`col_${c}`));
      const numeric = columns.map((c, i) => (c === "qty" || c === "reserved" ? i : -1)).filter((i) => i >= 0);
      const cells = rows.map((r) =>
        columns.map((c) => {
          if (c === "sku") return r.sku;
          if (c === "lot") return r.lot_number;
          if (c === "expiry") return r.expiry_date || "";
          if (c === "bin") return r.location;
          if (c === "qty") return S.num(r.quantity);
          return r.reserved === null ? "" : S.num(r.reserved);
        }),
      );
      return table(headers, cells, numeric);
    }

    async function show(reading, code) {
      let title;
      let query;
      let columns;
      if (reading.kind === "location") {
        title = S.t("bin_contents", { bin: reading.location });
        query = `location=${enc(reading.location)}`;
        columns = ["sku", "lot", "expiry", "qty", "reserved"];
      } else if (reading.kind === "product" || reading.kind === "lot") {
        const what = reading.kind === "lot" ? `${reading.sku} · ${S.t("lot_of", { lot: reading.lot_number })}` : reading.sku;
        title = S.t("where_is", { what });
        query = `sku=${enc(reading.sku)}` + (reading.kind === "lot" ? `&lot=${enc(reading.lot_number)}` : "");
        columns = reading.kind === "lot" ? ["bin", "expiry", "qty", "reserved"] : ["bin", "lot", "expiry", "qty", "reserved"];
      } else {
        await S.fail({ title: S.t("wrong_scan_title"), text: S.t("sscc_unknown", { sscc: reading.sscc }), code });
        return;
      }
      const stock = await S.api("GET", `stock?${query}`);
      S.next(title, S.t("total", { n: S.num(stock.total) }), "");
      if (!stock.rows.length) {
        out.replaceChildren(el("p", null, reading.kind === "location" ? S.t("empty_bin") : S.t("nowhere")));
        return;
      }
      const found = render(stock.rows, columns);
      found.prepend(el("caption", { className: "visually-hidden" }, title));
      out.replaceChildren(found);
    }

    return {
      start() {
        S.next(S.t("scan_anything"));
      },
      async onScan({ code }) {
        const reading = await S.read(code);
        if (!reading) {
          await S.fail({ title: S.t("wrong_scan_title"), text: S.t("unknown_code"), code });
          return;
        }
        await show(reading, code);
      },
    };
  });

  // --- start the page's flow -------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    const app = document.getElementById("scan-app");
    if (!app) {
      return;
    }
    const config = readJson("scan-config");
    const strings = readJson("scan-strings");
    const S = makeScanner(config, strings);
    const factory = factories[config.flow];
    S.current = factory ? factory(S) : {};
    if (typeof S.current.start === "function") {
      S.current.start();
    }
    S.flush();
    WmsScanner.page = S; // for debugging and tests
  });
})();
