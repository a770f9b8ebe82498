// Status changes (GET /api/v2/slo/status-history) as a short list, newest first.

import { el, statusBadge } from "./dom.js";
import { fmtAvailability, fmtMs, fmtTime } from "./format.js";

export function statusChangeList(changes, emptyText) {
  if (!changes.length) return el("p", { class: "muted small" }, emptyText);
  return el("ul", { class: "changes" }, changes.map((change) => el("li", { dataset: { changedAt: String(change.changed_at) } },
    el("span", { class: "muted small change-time" }, change.changed_at === null ? "" : fmtTime(change.changed_at, 2 * 86400)),
    statusBadge(change.old_status),
    el("span", { class: "muted", "aria-hidden": "true" }, "→"),
    statusBadge(change.new_status),
    el("span", { class: "muted small" }, `${fmtAvailability(change.availability)} · p95 ${fmtMs(change.p95)}`))));
}
