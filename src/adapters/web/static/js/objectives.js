// Objectives of one key (SPEC §10): each with its SLI over its window, its
// budget bar and whether the latency share is estimated; plus the editor.

import { el } from "./dom.js";
import { fmtAvailability, fmtBudget, fmtCount, fmtMs } from "./format.js";
import { editorSlot } from "./objective_editor.js";

export function budgetStatus(budget) {
  if (typeof budget !== "number") return "unknown";
  if (budget < 0) return "critical";
  if (budget < 25) return "warning";
  return "healthy";
}

export function meter(percent, className) {
  const clamped = typeof percent === "number" ? Math.max(0, Math.min(100, percent)) : 0;
  const bar = el("div", { class: `meter-fill ${className}` });
  bar.style.width = `${clamped}%`;
  return el("div", { class: "meter", role: "presentation" }, bar);
}

// Targets and thresholds are what someone typed: "99.9 %", "300 ms", without padding zeros.
const typed = (value) => (typeof value === "number" ? String(Number(value.toFixed(3))) : "–");
const threshold = (ms) => (typeof ms === "number" && ms >= 1000 ? fmtMs(ms) : `${typed(ms)} ms`);

export function objectiveName(objective) {
  const target = `${typed(objective.target)} %`;
  return objective.sli === "latency"
    ? `Latency: ${target} within ${threshold(objective.threshold_ms)}`
    : `Availability: ${target}`;
}

function objectiveItem(objective) {
  const budget = objective.budget_remaining;
  const status = budgetStatus(budget);
  return el("li", { class: "objective", dataset: { sli: objective.sli, window: objective.window } },
    el("div", { class: "objective-line" },
      el("span", { class: "objective-name" }, objectiveName(objective)),
      el("span", { class: "chip", title: "the objective's window" }, objective.window),
      objective.estimated
        ? el("span", { class: "chip chip-estimated", dataset: { role: "estimated" }, title: "The threshold is not a bucket bound: the share within it is interpolated inside its bucket." }, "estimated")
        : null),
    el("div", { class: "budget-row" },
      el("span", { class: "muted small", dataset: { role: "sli" } }, objective.total
        ? `now ${fmtAvailability(objective.sli_percent)} · ${fmtCount(objective.total - objective.good)} bad of ${fmtCount(objective.total)}`
        : "no requests in the window yet"),
      el("span", { class: `metric-value-small text-${status}`, dataset: { role: "budget" } }, `budget ${fmtBudget(budget)}`)),
    meter(budget, `status-${status}`));
}

// `slot`: { clusterId, targetType, key }; `targets`: the answer's effective target;
// `onChange`: reloads the view after the editor saved or removed something.
export function objectivesPanel(slot, { objectives, targets, onChange, heading = "h3", extra = null }) {
  const { button, holder } = editorSlot(slot, { preferredWindow: targets.source === "target" ? targets.window : "", onChange });
  const note = targets.source === "target" ? null
    : el("p", { class: "muted small", dataset: { role: "defaults" } }, "No objective of its own: judged by the master's default target.");
  return el("section", { class: "objectives", dataset: { objectives: slot.targetType, key: slot.key } },
    el("div", { class: "objectives-head" }, el(heading, {}, "Objectives"), button),
    note,
    objectives.length
      ? el("ul", { class: "objective-list" }, objectives.map(objectiveItem))
      : el("p", { class: "muted small" }, "No objective evaluated."),
    extra,
    holder);
}
