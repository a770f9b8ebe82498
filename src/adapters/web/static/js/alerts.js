// The top bar's firing-alerts indicator (SPEC §11): counts by severity, and a
// list that links each alert to its workload or domain.

import { el } from "./dom.js";
import { fmtAge, fmtBudget } from "./format.js";
import { optionalJson } from "./burn.js";
import { alertsFrom } from "./model.js";

const SEVERITIES = ["page", "ticket"];
const fmtBurn = (value) => (typeof value === "number" ? value.toFixed(1) : "–");

export class AlertsIndicator {
  // `context`: { params(), openWorkload(id), openDomain(key) }
  constructor(root, context) {
    this.root = root;
    this.context = context;
    this.button = root.querySelector("#alerts-indicator");
    this.panel = root.querySelector("#alerts-panel");
    this.alerts = [];
    this.button.addEventListener("click", () => this.toggle(this.panel.hidden));
    document.addEventListener("keydown", (event) => { if (event.key === "Escape") this.toggle(false); });
    document.addEventListener("click", (event) => { if (!root.contains(event.target)) this.toggle(false); });
  }

  toggle(open) {
    this.panel.hidden = !open;
    this.button.setAttribute("aria-expanded", String(open));
  }

  // Firing alerts of the selected cluster; [] when the master has no alerting.
  async load(signal) {
    const params = this.context.params();
    const answer = await optionalJson("api/v2/slo/alerts", { cluster_id: params.cluster_id, state: "firing" }, signal);
    this.alerts = answer.raw ? alertsFrom(answer.raw).filter((alert) => alert.state === "firing") : [];
    // A master from before alerting: no indicator rather than a permanent question mark.
    this.root.hidden = Boolean(answer.missing);
    this.render(answer.error || null);
    return this.alerts;
  }

  render(error) {
    const counts = Object.fromEntries(SEVERITIES.map((severity) => [severity, this.alerts.filter((a) => a.severity === severity).length]));
    this.root.dataset.firing = String(this.alerts.length);
    this.root.dataset.state = error ? "error" : "ready";
    const parts = SEVERITIES.filter((severity) => counts[severity]).map((severity) =>
      el("span", { class: `alert-count alert-${severity}`, dataset: { count: severity } }, `${counts[severity]} ${severity}`));
    this.button.replaceChildren(el("span", { class: "alert-bell", "aria-hidden": "true" }),
      ...(parts.length ? parts : [el("span", { class: "muted", dataset: { count: "none" } }, error ? "alerts ?" : "no alerts")]));
    this.button.title = error || (this.alerts.length ? "Firing burn-rate alerts: open the list" : "No burn-rate alert is firing");
    this.button.classList.toggle("has-page", counts.page > 0);
    this.panel.replaceChildren(this.list(error));
  }

  list(error) {
    if (error) return el("p", { class: "muted small" }, error);
    if (!this.alerts.length) return el("p", { class: "muted small" }, "No burn-rate alert is firing in this cluster.");
    const sorted = [...this.alerts].sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity)
      || (a.tier ?? 9) - (b.tier ?? 9) || (a.started_at ?? 0) - (b.started_at ?? 0));
    return el("ul", { class: "alert-list" }, sorted.map((alert) => el("li", {
      dataset: { severity: alert.severity, key: alert.key, targetType: alert.target_type, tier: String(alert.tier) },
    },
      el("div", { class: "alert-line" },
        el("span", { class: `badge alert-${alert.severity === "page" ? "page" : "ticket"}` }, alert.severity),
        el("button", { type: "button", class: "link mono", dataset: { role: "alert-link" }, onclick: () => this.open(alert) },
          alert.key)),
      el("div", { class: "small" }, alert.summary || `${alert.alertname} tier ${alert.tier}`),
      el("div", { class: "muted small" },
        `${alert.sli || alert.alertname} · ${alert.slo_window} · tier ${alert.tier} (${alert.long_window}/${alert.short_window}) · burn ${fmtBurn(alert.burn_long)} / ${fmtBurn(alert.burn_short)}`,
        alert.budget === null ? "" : ` · budget ${fmtBudget(alert.budget)}`,
        alert.started_at === null ? "" : ` · started ${fmtAge(Date.now() / 1000 - alert.started_at)}`))));
  }

  open(alert) {
    this.toggle(false);
    if (alert.target_type === "service") this.context.openWorkload(alert.key);
    else this.context.openDomain(alert.key);
  }

  // Mesh node ids with a firing page.
  pagedWorkloads() {
    return new Set(this.alerts.filter((alert) => alert.severity === "page" && alert.target_type === "service").map((alert) => alert.key));
  }
}
