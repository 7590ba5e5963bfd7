// Small progressive enhancements; every page works without this file.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.dataset ? form.dataset.confirm : null;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// A table wider than the screen scrolls sideways in its box; the box then takes keyboard focus (arrow keys
// scroll it) and is named after its table, so keyboard and screen-reader users can reach the hidden columns.
const tableBoxes = document.querySelectorAll(".table-wrap");
const tableName = (box) => {
  const caption = box.querySelector("caption");
  const section = box.closest("section");
  const heading = caption || (section && section.querySelector("h2, h3")) || document.querySelector("main h1");
  return heading ? heading.textContent.trim() : "Table";
};
const markScrollingTables = () => tableBoxes.forEach((box) => {
  if (box.scrollWidth > box.clientWidth) {
    box.tabIndex = 0;
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", `${tableName(box)} (scrolls sideways)`);
  } else {
    ["tabindex", "role", "aria-label"].forEach((name) => box.removeAttribute(name));
  }
});
markScrollingTables();
window.addEventListener("resize", markScrollingTables);

// Uploads: drag and drop onto the file field, names listed, and a progress bar while sending.
document.querySelectorAll("[data-dropzone]").forEach((zone) => {
  const input = zone.querySelector("input[type=file]");
  const list = zone.querySelector("[data-file-names]");
  const show = () => {
    list.replaceChildren(...Array.from(input.files).map((f) => {
      const li = document.createElement("li");
      li.textContent = `${f.name} (${Math.ceil(f.size / 1024)} KB)`;
      return li;
    }));
  };
  input.addEventListener("change", show);
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("dragging"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("dragging");
    input.files = e.dataTransfer.files;
    show();
  });
});

document.querySelectorAll("form[data-upload]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    if (event.defaultPrevented || !window.FormData) return;
    event.preventDefault();
    const bar = form.querySelector("[data-progress]");
    const text = form.querySelector("[data-progress-text]");
    const button = form.querySelector("button[type=submit]");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    xhr.setRequestHeader("X-Requested-With", "aocp-upload");
    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      const pct = Math.round((e.loaded / e.total) * 100);
      bar.hidden = false;
      bar.value = pct;
      if (text) text.textContent = `Uploading… ${pct}%`;
    });
    xhr.addEventListener("load", () => {
      let data = {};
      try { data = JSON.parse(xhr.responseText); } catch (err) { data = {}; }
      if (data.redirect) { window.location.assign(data.redirect); return; }
      button.disabled = false;
      bar.hidden = true;
      const messages = Object.values(data.errors || {}).flat();
      if (text) {
        text.textContent = messages.length ? messages.join(" ")
          : xhr.status === 413 ? "The files are larger than AOCP accepts." : "The upload failed. Please try again.";
        text.classList.add("errors");
      }
    });
    xhr.addEventListener("error", () => {
      button.disabled = false;
      if (text) text.textContent = "The connection was lost. Please try again.";
    });
    button.disabled = true;
    xhr.send(new FormData(form));
  });
});

// Typed fields (a person, a paper): as one types, the server suggests a few matches in the field's <datalist>
// (its data-suggest address answers {people: […]} or {documents: […]}, each with the value to put in the field).
// The server resolves the text on submit, so typing in full without script works just as well.
document.querySelectorAll("datalist[data-suggest]").forEach((list) => {
  const input = document.querySelector(`input[list="${list.id}"]`);
  if (!input) return;
  let timer = null;
  let latest = "";
  const suggest = async (typed) => {
    const url = new URL(list.dataset.suggest, window.location.href);
    url.searchParams.set("q", typed);
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok || typed !== latest) return;
      const found = await response.json();
      if (typed !== latest) return;  // a later keystroke asked again
      list.replaceChildren(...(found.people || found.documents || []).map((match) => {
        const option = document.createElement("option");
        option.value = match.value;
        return option;
      }));
    } catch (err) {
      // Offline or signed out: no suggestions; the form still works.
    }
  };
  input.addEventListener("input", () => {
    const typed = input.value.trim();
    clearTimeout(timer);
    // Choosing a suggestion also fires "input": nothing more to ask then.
    if (typed.length < 2 || Array.from(list.options).some((o) => o.value === input.value)) return;
    latest = typed;
    timer = setTimeout(() => suggest(typed), 150);
  });
});

// "/" anywhere but in a field focuses the search box in the header; on a phone, where the box is folded into
// the magnifier link, it opens the search page.
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
  const target = event.target;
  if (target.isContentEditable || (target.closest && target.closest("input, textarea, select"))) return;
  const box = document.querySelector("[data-search-box]");
  if (!box) return;
  event.preventDefault();
  if (box.offsetParent === null) {
    window.location.assign(box.form.action);
    return;
  }
  box.focus();
  box.select();
});

// A meeting's old anchors (/meetings/N#agenda, #participants, #actions, #papers) lead to the tab that now holds
// that part.
(() => {
  const hash = window.location.hash.slice(1);
  if (!hash) return;
  const tab = document.querySelector(`.tabs a[data-anchor="${CSS.escape(hash)}"]:not([aria-current])`);
  if (tab) window.location.replace(tab.href);
})();

// The timetable: drag an item within its day to reorder it. Without a mouse, Move up and Move down do the same;
// without JavaScript, the numbered form does. The drop fills that form and sends it.
document.querySelectorAll("ol[data-reorder]").forEach((list) => {
  const form = document.querySelector("form[data-reorder-form]");
  if (!form) return;
  let dragged = null;
  list.addEventListener("dragstart", (event) => {
    dragged = event.target.closest("li[data-item-id]");
    if (dragged) event.dataTransfer.effectAllowed = "move";
  });
  list.addEventListener("dragover", (event) => {
    if (dragged) event.preventDefault();
  });
  list.addEventListener("drop", (event) => {
    const target = event.target.closest("li[data-item-id]");
    if (!dragged || !target || target === dragged || target.parentNode !== list) return;
    event.preventDefault();
    const after = event.clientY > target.getBoundingClientRect().top + target.offsetHeight / 2;
    list.insertBefore(dragged, after ? target.nextSibling : target);
    dragged = null;
    const ids = Array.from(document.querySelectorAll("ol[data-reorder] li[data-item-id]"), (li) => li.dataset.itemId);
    ids.forEach((id, n) => {
      const input = form.querySelector(`#position-${id}`);
      if (input) input.value = String(n + 1);
    });
    form.submit();
  });
});
