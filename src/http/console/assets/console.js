// Commentinel moderation console: keyboard control and in-place updates on top of pages that work
// without it (every action is a plain form). Keys as in WordPress: j/k move, s spam, a approve, z undo.
(() => {
  "use strict";
  const status = document.getElementById("live-status");
  const say = (text) => {
    if (status) status.textContent = text;
  };
  const cards = () => Array.from(document.querySelectorAll("article.comment"));
  let current = -1;
  let lastActionId = null;
  let lastChecked = null;

  function focusCard(index) {
    const list = cards();
    if (list.length === 0) {
      current = -1;
      return;
    }
    current = Math.max(0, Math.min(index, list.length - 1));
    list.forEach((card, i) => card.classList.toggle("current", i === current));
    const card = list[current];
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest" });
  }

  function currentCard() {
    const list = cards();
    if (current < 0 || current >= list.length) return undefined;
    return list[current];
  }

  async function post(form, extra) {
    const body = new FormData(form);
    for (const [k, v] of Object.entries(extra || {})) body.set(k, v);
    const res = await fetch(form.action, { method: "POST", body, headers: { Accept: "application/json" }, credentials: "same-origin" });
    let json = null;
    try {
      json = await res.json();
    } catch {
      json = null;
    }
    if (!res.ok || !json) throw new Error((json && json.error && json.error.message) || `The server answered ${res.status}`);
    return json;
  }

  const tab = document.body.dataset.tab || "";
  const labelText = { spam: "spam", ham: "not spam" };

  // After a decision: cards that left this tab go away, the others show their new status.
  function applyDecided(decided) {
    let removedBefore = 0;
    const list = cards();
    for (const d of decided) {
      const index = list.findIndex((c) => c.dataset.id === d.id);
      const card = list[index];
      if (!card) continue;
      if (tab && d.status !== tab) {
        if (index < current) removedBefore++;
        card.closest("li").remove();
      } else {
        const pill = card.querySelector(".pill");
        if (pill) {
          pill.textContent = d.status;
          pill.className = `pill ${d.status}`;
        }
      }
    }
    const count = document.querySelector('.tabs a[aria-current="page"] .count');
    // A capped count ("1000+") is left as it is.
    const shown = count ? Number(count.textContent) : NaN;
    if (count && tab && Number.isFinite(shown)) count.textContent = String(Math.max(0, shown - decided.filter((d) => d.status !== tab).length));
    if (cards().length === 0) {
      const empty = document.getElementById("queue-empty");
      if (empty) empty.hidden = false;
    }
    // The card after the one decided takes its place (and the focus).
    focusCard(current - removedBefore);
  }

  async function decide(form, label) {
    try {
      const json = await post(form, { label });
      lastActionId = json.actionId;
      applyDecided(json.comments);
      say(`Marked ${json.comments.length} as ${labelText[label]}. Press z to undo.`);
    } catch (err) {
      say(`Not saved: ${err.message}`);
    }
  }

  async function undo() {
    const form = document.getElementById("undo-form");
    if (!form) return;
    try {
      const json = await post(form, lastActionId ? { actionId: lastActionId } : {});
      lastActionId = null;
      await refreshQueue(json.restored[0]);
      say(`Undone: ${json.restored.length} comment${json.restored.length === 1 ? "" : "s"} restored.`);
    } catch (err) {
      say(`Nothing undone: ${err.message}`);
    }
  }

  // Reloads the list in place (no page reload) and focuses `focusId` when it is on the page.
  async function refreshQueue(focusId) {
    const res = await fetch(location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" });
    const doc = new DOMParser().parseFromString(await res.text(), "text/html");
    for (const id of ["queue-list", "queue-tabs", "author-counts", "campaign-counts"]) {
      const fresh = doc.getElementById(id);
      const old = document.getElementById(id);
      if (fresh && old) old.replaceWith(document.importNode(fresh, true));
    }
    const empty = document.getElementById("queue-empty");
    if (empty) empty.hidden = cards().length > 0;
    const index = cards().findIndex((c) => c.dataset.id === focusId);
    focusCard(index >= 0 ? index : Math.max(0, current));
  }

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    if (e.key === "j") {
      focusCard(current + 1);
    } else if (e.key === "k") {
      focusCard(current <= 0 ? 0 : current - 1);
    } else if (e.key === "s" || e.key === "a") {
      const card = currentCard();
      const form = card && card.querySelector("form.decide");
      if (!form) return;
      void decide(form, e.key === "s" ? "spam" : "ham");
    } else if (e.key === "z") {
      void undo();
    } else return;
    e.preventDefault();
  });

  document.addEventListener("submit", (e) => {
    const form = e.target;
    if (!(form instanceof HTMLFormElement)) return;
    const button = e.submitter;
    if (form.classList.contains("decide") || form.id === "bulk-form") {
      e.preventDefault();
      const card = form.closest("article.comment");
      if (card) current = cards().indexOf(card);
      void decide(form, button && button.value ? button.value : "spam");
    } else if (form.id === "undo-form") {
      e.preventDefault();
      void undo();
    }
  });

  // Shift-click selects the range from the last box clicked.
  document.addEventListener("click", (e) => {
    const box = e.target;
    if (!(box instanceof HTMLInputElement) || !box.classList.contains("select")) return;
    const boxes = Array.from(document.querySelectorAll("input.select"));
    if (e.shiftKey && lastChecked && lastChecked !== box) {
      const [a, b] = [boxes.indexOf(lastChecked), boxes.indexOf(box)].sort((x, y) => x - y);
      for (let i = a; i <= b; i++) boxes[i].checked = box.checked;
    }
    lastChecked = box;
    const n = boxes.filter((b) => b.checked).length;
    say(`${n} selected`);
  });

  // The cutoff preview follows the inputs without a reload.
  const settings = document.getElementById("settings-form");
  if (settings) {
    let timer = 0;
    settings.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const params = new URLSearchParams();
        for (const name of ["hamCutoff", "spamCutoff"]) params.set(name, settings.elements[name].value);
        const res = await fetch(`${settings.dataset.preview}?${params}`, { credentials: "same-origin" });
        const doc = new DOMParser().parseFromString(await res.text(), "text/html");
        const fresh = doc.getElementById("preview");
        const old = document.getElementById("preview");
        if (fresh && old) old.replaceWith(document.importNode(fresh, true));
      }, 150);
    });
  }

  if (cards().length > 0) focusCard(0);
  document.body.dataset.enhanced = "true";
})();
