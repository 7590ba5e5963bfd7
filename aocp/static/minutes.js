// The minutes editor: saves the draft a few seconds after typing stops, never overwrites someone else's
// newer text (the server answers 409 with theirs), and keeps what was typed in this browser until the
// server has it, so an ended session or a lost connection loses nothing: reloading the page restores it.
(() => {
  const form = document.querySelector("form[data-minutes-editor]");
  if (!form || !window.fetch) return;
  const area = form.querySelector("textarea");
  const versionInput = form.querySelector("input[data-version]");
  const csrf = form.querySelector("input[name=csrf_token]");
  const status = form.querySelector("[data-autosave-status]");
  const url = form.dataset.autosaveUrl;
  const key = form.dataset.storageKey;
  const IDLE_MS = 3000;
  const RETRY_MS = 15000;
  let lastSaved = area.value;
  let timer = null;
  let paused = false;
  let inFlight = false;

  const hhmm = (iso) => {
    const d = iso ? new Date(iso) : new Date();
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  };
  const say = (text, isError) => {
    status.textContent = text;
    status.classList.toggle("errors", Boolean(isError));
  };
  const store = () => {
    try {
      localStorage.setItem(key, JSON.stringify({ text: area.value, version: Number(versionInput.value), at: Date.now() }));
    } catch (err) { /* storage full or disabled: the server copy still works */ }
  };
  const forget = () => { try { localStorage.removeItem(key); } catch (err) { /* nothing kept */ } };
  const kept = () => {
    try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (err) { return null; }
  };

  const notice = (text, buttons) => {
    const box = document.createElement("div");
    box.className = "flash flash-error";
    box.setAttribute("role", "alert");
    const p = document.createElement("p");
    p.textContent = text;
    box.append(p);
    (buttons || []).forEach(([label, action]) => {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = label;
      b.addEventListener("click", () => { action(); box.remove(); });
      box.append(b, " ");
    });
    form.prepend(box);
    return box;
  };

  // Restore what was typed here but never reached the server (an ended session, a closed tab).
  const saved = kept();
  if (saved && typeof saved.text === "string") {
    if (saved.text === area.value) {
      forget();
    } else {
      const serverText = area.value;
      area.value = saved.text;
      notice(`Restored text you typed in this browser on ${new Date(saved.at).toLocaleString()} that had not been saved. ` +
             "Check it, then save.", [["Discard it and show the saved minutes", () => { area.value = serverText; forget(); }]]);
      if (Number(saved.version) !== Number(versionInput.value)) {
        say("The minutes were saved by someone since then: your restored text will be checked against theirs when you save.", true);
      }
    }
  }

  const conflict = (current) => {
    paused = true;
    const who = current.updated_by || "Someone";
    say(`Not saved: ${who} saved these minutes at ${hhmm(current.updated_at)}. Your text is kept here and in this browser.`, true);
    const box = notice(`${who} changed these minutes since you opened them. Nothing was overwritten. ` +
                       "Their text is shown below; choose what to do.", [
      ["Keep my text (replace theirs)", () => { versionInput.value = current.version; paused = false; save(); }],
      ["Load their text (mine stays in this browser until I type)", () => {
        store();
        area.value = current.body_md;
        lastSaved = current.body_md;
        versionInput.value = current.version;
        paused = false;
        say("Their text is loaded.");
      }],
    ]);
    const pre = document.createElement("pre");
    pre.className = "prewrap";
    pre.textContent = current.body_md;
    box.append(pre);
  };

  const save = async () => {
    timer = null;
    if (paused || inFlight || area.value === lastSaved) return;
    inFlight = true;
    const text = area.value;
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf.value },
        body: JSON.stringify({ body_md: text, version: Number(versionInput.value) }),
      });
    } catch (err) {
      inFlight = false;
      say("Not saved: the connection was lost. Your text is kept in this browser; trying again shortly.", true);
      timer = setTimeout(save, RETRY_MS);
      return;
    }
    inFlight = false;
    let data = {};
    try { data = await response.json(); } catch (err) { data = {}; }
    const error = data.error || {};
    if (response.ok) {
      versionInput.value = data.version;
      lastSaved = text;
      if (area.value === text) forget();
      say(`Saved at ${hhmm(data.saved_at)}.`);
      if (area.value !== text) schedule();
    } else if (response.status === 409 && error.code === "conflict") {
      const current = error.current || {};
      if (current.body_md === text || current.body_md === lastSaved) {
        // Same words, newer version (saved here already, or only circulated since): carry on from it.
        versionInput.value = current.version;
        lastSaved = current.body_md;
        if (area.value !== lastSaved) save(); else { forget(); say(`Saved at ${hhmm(current.updated_at)}.`); }
      } else {
        conflict(current);
      }
    } else if (response.status === 401) {
      paused = true;
      say("Not saved: your session has ended. Your text is kept in this browser. Sign in again, then reload this page to restore it.", true);
    } else if (error.code === "csrf") {
      paused = true;
      say("Not saved: this page has expired. Your text is kept in this browser: reload the page to restore it.", true);
    } else {
      paused = error.code === "locked";
      say(`Not saved: ${error.message || "the server refused the text"} Your text is kept in this browser.`, true);
    }
  };

  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, IDLE_MS);
  };

  area.addEventListener("input", () => {
    store();
    if (!paused) schedule();
  });
  form.addEventListener("submit", () => store());
})();
