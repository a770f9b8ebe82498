// The objectives editor (SPEC §10): one target per (key, window), saved with
// PUT /api/v2/slo/targets and removed with DELETE. The master validates; its
// messages name the field first and are shown next to that field.

import { getJson, sendJson } from "./api.js";
import { el } from "./dom.js";
import { storedTargetsFrom } from "./model.js";

export const WINDOWS = ["1d", "7d", "28d", "30d", "week", "month"];
const WINDOW_TEXT = {
  "1d": "1 day (rolling)", "7d": "7 days (rolling)", "28d": "28 days (rolling)", "30d": "30 days (rolling)",
  week: "ISO week (from Monday 00:00 UTC)", month: "calendar month (UTC)",
};
const TARGETS_PATH = "api/v2/slo/targets";

const NUMBER_FIELDS = [
  { name: "availability_target", label: "Availability", unit: "%", hint: "empty: no availability objective" },
  { name: "latency_threshold_ms", label: "Latency threshold", unit: "ms", hint: "with the latency %" },
  { name: "latency_target", label: "Requests within it", unit: "%", hint: "empty with the threshold: no latency objective" },
  { name: "p95_target_ms", label: "p95 warning above", unit: "ms", hint: "empty: the master's default" },
];

// Open editors survive the refreshes that rebuild the panel around them, so
// half-typed values are not wiped every 30 s.
const openEditors = new Map();

function slotOf({ clusterId, targetType, key }) {
  return JSON.stringify([clusterId || "", targetType, key]);
}

function field(spec) {
  const input = el("input", {
    type: "number", step: "any", name: spec.name, inputmode: "decimal", class: "field-input",
  });
  const error = el("span", { class: "field-error", dataset: { errorFor: spec.name }, role: "alert" });
  const row = el("label", { class: "field", dataset: { field: spec.name } },
    el("span", { class: "field-label" }, spec.label, el("span", { class: "muted" }, ` (${spec.unit})`)),
    input,
    el("span", { class: "field-hint muted small" }, spec.hint),
    error);
  return { row, input, error };
}

class ObjectiveEditor {
  constructor(slot, onChange) {
    this.slot = slot; // { clusterId, targetType, key }
    this.onChange = onChange;
    this.stored = [];
    this.inputs = {};
    this.errors = {};
    const windowSelect = el("select", { name: "window", class: "field-input" },
      WINDOWS.map((window) => el("option", { value: window }, `${window} — ${WINDOW_TEXT[window]}`)));
    windowSelect.addEventListener("change", () => this.fill(windowSelect.value));
    const windowError = el("span", { class: "field-error", dataset: { errorFor: "window" }, role: "alert" });
    this.inputs.window = windowSelect;
    this.errors.window = windowError;
    const rows = NUMBER_FIELDS.map((spec) => {
      const made = field(spec);
      this.inputs[spec.name] = made.input;
      this.errors[spec.name] = made.error;
      return made.row;
    });
    this.inputs.alerting = el("input", { type: "checkbox", name: "alerting", checked: true });
    this.storedNote = el("p", { class: "muted small", dataset: { role: "stored" } });
    this.message = el("p", { class: "editor-message small", dataset: { role: "editor-message" }, role: "status" });
    this.element = el("form", { class: "objective-editor", novalidate: true, dataset: { state: "loading" } },
      el("label", { class: "field", dataset: { field: "window" } },
        el("span", { class: "field-label" }, "Window"), windowSelect, windowError),
      rows,
      el("label", { class: "field field-check", dataset: { field: "alerting" } }, this.inputs.alerting,
        el("span", {}, "Burn-rate alerts for these objectives")),
      this.storedNote,
      el("div", { class: "editor-actions" },
        el("button", { type: "submit", class: "btn btn-primary", dataset: { action: "save" } }, "Save"),
        el("button", { type: "button", class: "btn", dataset: { action: "remove" }, onclick: () => this.remove() }, "Remove this window"),
        el("button", { type: "button", class: "btn", dataset: { action: "close" }, onclick: () => this.close() }, "Close")),
      this.message);
    this.element.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
  }

  get keyParams() {
    return { cluster_id: this.slot.clusterId || undefined, target_type: this.slot.targetType, key: this.slot.key };
  }

  async load(preferredWindow) {
    this.element.dataset.state = "loading";
    try {
      const raw = await getJson(TARGETS_PATH, { cluster_id: this.slot.clusterId || undefined, target_type: this.slot.targetType });
      this.stored = storedTargetsFrom(raw).filter((target) => target.key === this.slot.key);
      this.element.dataset.state = "ready";
    } catch (error) {
      this.stored = [];
      this.element.dataset.state = "ready";
      this.say(`The stored objectives could not be read: ${error.message}`, "error");
    }
    const window = this.stored.some((target) => target.window === preferredWindow) ? preferredWindow
      : this.stored[0]?.window || preferredWindow || "30d";
    this.fill(window);
  }

  fill(window) {
    const stored = this.stored.find((target) => target.window === window);
    this.inputs.window.value = WINDOWS.includes(window) ? window : "30d";
    for (const spec of NUMBER_FIELDS) {
      const value = stored ? stored[spec.name] : null;
      this.inputs[spec.name].value = value === null ? "" : String(value);
    }
    this.inputs.alerting.checked = stored ? stored.alerting : true;
    this.storedNote.textContent = this.stored.length
      ? `Stored for this key: ${this.stored.map((target) => target.window).join(", ")}.${stored ? "" : ` Nothing stored for ${window} yet.`}`
      : "No objective stored for this key yet: it is judged by the master's defaults.";
    this.clearProblems();
  }

  clearProblems() {
    for (const error of Object.values(this.errors)) error.textContent = "";
    for (const input of Object.values(this.inputs)) input.removeAttribute("aria-invalid");
  }

  say(text, kind = "") {
    this.message.textContent = text;
    this.message.className = `editor-message small ${kind}`;
    this.message.dataset.kind = kind;
  }

  body() {
    const body = { ...this.keyParams, window: this.inputs.window.value, alerting: this.inputs.alerting.checked };
    const local = {};
    for (const spec of NUMBER_FIELDS) {
      const input = this.inputs[spec.name];
      // A number input reads "" both when empty and when what was typed is not a number.
      if (input.value === "" && input.validity.badInput) local[spec.name] = "not a number";
      body[spec.name] = input.value === "" ? null : Number(input.value);
    }
    return { body, local };
  }

  showProblems(fields, fallback) {
    let shown = false;
    for (const [name, text] of Object.entries(fields)) {
      const slot = this.errors[name];
      if (!slot) continue;
      slot.textContent = text;
      this.inputs[name].setAttribute("aria-invalid", "true");
      shown = true;
    }
    this.say(shown ? "Not saved: see the marked fields." : fallback, "error");
  }

  async save() {
    this.clearProblems();
    const { body, local } = this.body();
    if (Object.keys(local).length) {
      this.showProblems(local, "");
      return;
    }
    this.say("Saving…");
    try {
      await sendJson("PUT", TARGETS_PATH, { body });
    } catch (error) {
      this.showProblems(error.fields || {}, error.message);
      return;
    }
    this.say(`Saved the ${body.window} objectives.`, "ok");
    await this.load(body.window);
    this.onChange();
  }

  async remove() {
    this.clearProblems();
    const window = this.inputs.window.value;
    this.say("Removing…");
    try {
      await sendJson("DELETE", TARGETS_PATH, { params: { ...this.keyParams, window } });
    } catch (error) {
      this.say(error.status === 404 ? `No objective is stored for ${window}.` : error.message, "error");
      return;
    }
    this.say(`Removed the ${window} objectives.`, "ok");
    await this.load(window);
    this.onChange();
  }

  close() {
    openEditors.delete(slotOf(this.slot));
    const panel = this.element.closest("[data-objectives]");
    this.element.remove();
    panel?.querySelector("[data-action=edit]")?.removeAttribute("hidden");
  }
}

// The editor of a key: the open one kept across refreshes, or an "Edit
// objectives" button that opens it. `onChange` reloads what shows the objectives.
export function editorSlot(slot, { preferredWindow, onChange }) {
  const id = slotOf(slot);
  const holder = el("div", { class: "editor-slot" });
  const button = el("button", { type: "button", class: "btn btn-small", dataset: { action: "edit" } }, "Edit objectives");
  const existing = openEditors.get(id);
  if (existing) {
    // The panel around it was rebuilt: a save now reloads the new one.
    existing.onChange = onChange;
    button.hidden = true;
    holder.append(existing.element);
  }
  button.addEventListener("click", () => {
    const editor = new ObjectiveEditor(slot, onChange);
    openEditors.set(id, editor);
    button.hidden = true;
    holder.append(editor.element);
    editor.load(preferredWindow);
  });
  return { button, holder };
}
