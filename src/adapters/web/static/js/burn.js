// Burn rates of one key's objectives by tier, and the error-budget burn-down
// (SPEC §11). Both come from the master: the alert rows (GET /api/v2/slo/alerts)
// and the budget points (GET /api/v2/slo/budget); nothing is recomputed here.

import { getJson } from "./api.js";
import { multiLineChart } from "./charts.js";
import { el } from "./dom.js";
import { DASH, fmtBudget, fmtTime } from "./format.js";
import { alertsFrom, budgetFrom } from "./model.js";

// The four tiers of SPEC §11, to name them and show what each burn rate is compared with.
export const TIERS = {
  1: { severity: "page", factor: 14.4 },
  2: { severity: "page", factor: 6 },
  3: { severity: "ticket", factor: 3 },
  4: { severity: "ticket", factor: 1 },
};
const SLI_COLORS = { availability: "#2fb67c", latency: "#b48cf2" };
const SLI_NAMES = { availability: "Availability", latency: "Latency" };
const WINDOW_SECONDS = { "1d": 86400, "7d": 604800, "28d": 2419200, "30d": 2592000, week: 604800, month: 2678400 };

const fmtBurn = (value) => (typeof value === "number" ? `${value.toFixed(value >= 10 ? 1 : 2)}×` : DASH);

// A master from before alerting answers 404 on these paths: say so instead of failing.
export async function optionalJson(path, params, signal) {
  try {
    return { raw: await getJson(path, params, signal) };
  } catch (error) {
    if (error.name === "AbortError") throw error;
    const missing = error.status === 404;
    return { error: missing ? "Alerting is not available on this master." : error.message, missing };
  }
}

export async function fetchKeyAlerts(params, signal) {
  const answer = await optionalJson("api/v2/slo/alerts", { ...params, state: "all" }, signal);
  return answer.raw ? { alerts: alertsFrom(answer.raw) } : { error: answer.error };
}

export async function fetchBudget(params, signal) {
  const answer = await optionalJson("api/v2/slo/budget", params, signal);
  return answer.raw ? { objectives: budgetFrom(answer.raw) } : { error: answer.error };
}

// The newest row per (objective, window, tier): firing ones first by start, then resolved ones.
function latestRows(alerts) {
  const newest = new Map();
  for (const alert of alerts) {
    const slot = `${alert.sli}|${alert.slo_window}|${alert.tier}`;
    const seen = newest.get(slot);
    const rank = (row) => [row.state === "firing" ? 1 : 0, row.started_at ?? 0];
    if (!seen || rank(alert)[0] > rank(seen)[0] || (rank(alert)[0] === rank(seen)[0] && rank(alert)[1] > rank(seen)[1])) {
      newest.set(slot, alert);
    }
  }
  return [...newest.values()].sort((a, b) => a.sli.localeCompare(b.sli) || a.slo_window.localeCompare(b.slo_window) || a.tier - b.tier);
}

function stateCell(alert) {
  if (alert.state === "firing") {
    return el("span", { class: `badge alert-${alert.severity === "page" ? "page" : "ticket"}`, dataset: { state: "firing" } }, "firing");
  }
  const when = alert.resolved_at === null ? "" : ` ${fmtTime(alert.resolved_at, 2 * 86400)}`;
  return el("span", { class: "muted small", dataset: { state: alert.state } }, `resolved${when}`);
}

// `keyAlerts`: { alerts } or { error } for this key (any state).
export function burnRatesSection(keyAlerts, heading = "h4") {
  const section = el("section", { class: "burn-rates", dataset: { role: "burn-rates" } }, el(heading, {}, "Burn rates"));
  if (keyAlerts.error) {
    section.append(el("p", { class: "muted small" }, keyAlerts.error));
    return section;
  }
  const rows = latestRows(keyAlerts.alerts);
  if (!rows.length) {
    section.append(el("p", { class: "muted small", dataset: { role: "no-burn" } },
      "No burn-rate alert recorded for this key yet: its tiers have not fired."));
    return section;
  }
  const tiersKnown = new Set(rows.map((row) => row.tier));
  const unknown = Object.keys(TIERS).map(Number).filter((tier) => !tiersKnown.has(tier));
  section.append(
    el("div", { class: "burn-scroll" }, el("table", { class: "data-table compact burn-table" },
      el("thead", {}, el("tr", {}, el("th", {}, "Tier"), el("th", { class: "num" }, "Long"), el("th", { class: "num" }, "Short"), el("th", {}, "State"))),
      el("tbody", {}, rows.map((row) => el("tr", { dataset: { tier: String(row.tier), sli: row.sli, state: row.state }, class: row.state === "firing" ? "firing" : "" },
        el("td", {}, `${row.tier ?? DASH} ${row.severity}`,
          el("div", { class: "muted small" }, `${SLI_NAMES[row.sli] || row.alertname} · ${row.slo_window}`),
          el("div", { class: "muted small mono", dataset: { role: "windows" } }, `${row.long_window} / ${row.short_window} above ${fmtBurn(TIERS[row.tier]?.factor ?? null)}`)),
        el("td", { class: "num", dataset: { role: "burn-long" } }, fmtBurn(row.burn_long)),
        el("td", { class: "num", dataset: { role: "burn-short" } }, fmtBurn(row.burn_short)),
        el("td", {}, stateCell(row))))))),
    el("p", { class: "muted small" }, "Burn rates as of each tier's last evaluation.",
      unknown.length ? ` Tier${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}: no alert row yet.` : ""));
  return section;
}

// A figure that fills in once the budget points arrive: `draw({ objectives } | { error })`.
export function burnDownBox(label) {
  const canvas = el("canvas", { role: "img", "aria-label": `Error budget remaining of ${label} over its window` });
  const area = el("div", { class: "chart-area small-chart" }, el("p", { class: "muted small" }, "Loading the burn-down…"));
  const box = el("figure", { class: "chart-box burn-down", dataset: { chart: "burn-down", state: "loading" } },
    el("figcaption", {}, "Error budget remaining over the window"), area);
  const draw = (budget) => {
    const drawn = (budget.objectives || []).filter((objective) => objective.points.length);
    if (budget.error || !drawn.length) {
      area.replaceChildren(el("p", { class: "muted small" }, budget.error || "No budget points yet."));
      box.dataset.state = budget.error ? "error" : "empty";
      return;
    }
    const stamps = [...new Set(drawn.flatMap((objective) => objective.points.map((point) => point.timestamp)))]
      .filter((stamp) => stamp !== null).sort((a, b) => a - b);
    const span = WINDOW_SECONDS[drawn[0].window] || 86400;
    area.replaceChildren(canvas);
    multiLineChart(canvas, {
      labels: stamps.map((stamp) => fmtTime(stamp, span)),
      series: drawn.map((objective) => {
        const byStamp = new Map(objective.points.map((point) => [point.timestamp, point.budget_remaining]));
        return {
          label: `${SLI_NAMES[objective.sli] || objective.sli} · ${objective.window}`,
          values: stamps.map((stamp) => byStamp.get(stamp) ?? null),
          color: SLI_COLORS[objective.sli] || "#5ec8f2",
        };
      }),
      format: (value) => fmtBudget(value).replace(" (overspent)", ""),
      max: 100,
    });
    box.dataset.state = "ready";
  };
  return { box, draw };
}
