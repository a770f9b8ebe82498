// The domains layer: one card per ingress domain, with links that jump to the
// backend workloads in the mesh layer.

import { getJson } from "./api.js";
import { barChart } from "./charts.js";
import { append, el, statusBadge } from "./dom.js";
import { DASH, fmtAvailability, bucketLabels, fmtBudget, fmtCount, fmtMs, fmtPct, fmtRps } from "./format.js";
import { domainsFrom } from "./model.js";

const STATUS_ORDER = ["critical", "warning", "healthy", "unknown"];

function metric(label, value, name, note = null) {
  return el("div", { class: "metric", dataset: { metric: name } },
    el("div", { class: "metric-label" }, label),
    el("div", { class: "metric-value" }, value),
    note ? el("div", { class: "metric-note muted small" }, note) : null);
}

function meter(percent, className) {
  const clamped = typeof percent === "number" ? Math.max(0, Math.min(100, percent)) : 0;
  const bar = el("div", { class: `meter-fill ${className}` });
  bar.style.width = `${clamped}%`;
  return el("div", { class: "meter", role: "presentation" }, bar);
}

function previousText(previous) {
  if (!previous.total_requests) return "Previous period: no traffic.";
  return `Previous period: ${fmtAvailability(previous.availability)} available, p95 ${fmtMs(previous.p95)}, ${fmtRps(previous.rps)}.`;
}

function budgetStatus(budget) {
  if (typeof budget !== "number") return "unknown";
  if (budget < 0) return "critical";
  if (budget < 25) return "warning";
  return "healthy";
}

function breakdownTable(title, role, keyHeader, rows, { withErrors }) {
  const section = el("section", { class: "breakdown", dataset: { breakdown: role } }, el("h4", {}, title));
  if (!rows.length) return append(section, el("p", { class: "muted small" }, "No requests."));
  const total = rows.reduce((sum, row) => sum + row.count, 0);
  return append(section, el("table", { class: "data-table compact" },
    el("thead", {}, el("tr", {}, el("th", {}, keyHeader), el("th", { class: "num" }, "Requests"),
      el("th", { class: "num" }, withErrors ? "Errors" : "Share"))),
    el("tbody", {}, rows.map((row) => el("tr", { dataset: { key: row.key } },
      el("td", { class: "mono" }, row.key),
      el("td", { class: "num" }, fmtCount(row.count)),
      el("td", { class: "num" }, withErrors
        ? fmtCount(row.errors)
        : fmtPct(row.percent ?? (total ? (row.count / total) * 100 : null), 1)))))));
}

export class DomainsLayer {
  constructor(root, context) {
    this.root = root;
    this.context = context; // { params(), jumpToWorkload(id) }
    this.summary = root.querySelector("#domain-summary");
    this.cards = root.querySelector("#domain-cards");
  }

  async load(signal) {
    const data = domainsFrom(await getJson("api/v2/slo/domains/v2", this.context.params(), signal));
    if (!data.domains.length) return "empty";
    this.renderSummary(data);
    const charts = [];
    const sorted = [...data.domains].sort((a, b) =>
      STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) || a.domain.localeCompare(b.domain));
    this.cards.replaceChildren(...sorted.map((domain) => this.card(domain, charts)));
    for (const draw of charts) draw();
    this.root.dataset.renderedAt = String(performance.now());
    return "ready";
  }

  renderSummary(data) {
    const counts = data.summary.counts;
    this.summary.replaceChildren(
      el("div", { class: "summary-item" }, el("span", { class: "summary-value" }, String(data.summary.total_domains ?? data.domains.length)), el("span", { class: "muted" }, "domains")),
      ...STATUS_ORDER.map((status) => el("div", { class: "summary-item", dataset: { count: status } },
        el("span", { class: `summary-value text-${status}` }, String(counts[status] ?? 0)),
        el("span", { class: "muted" }, status === "unknown" ? "no traffic" : status))),
      el("div", { class: "summary-item", dataset: { metric: "rps" } }, el("span", { class: "summary-value" }, fmtRps(data.summary.rps)), el("span", { class: "muted" }, "all domains")),
      el("div", { class: "summary-item", dataset: { metric: "availability" } }, el("span", { class: "summary-value" }, fmtAvailability(data.summary.availability)), el("span", { class: "muted" }, "availability")),
    );
  }

  card(domain, charts) {
    const s = domain.summary;
    const target = domain.targets;
    const availabilityNote = target.availability === null ? "no target" : `target ${fmtAvailability(target.availability)}`;
    const p95Note = target.p95 === null ? null : `target ${fmtMs(target.p95)}`;
    const canvas = el("canvas", { role: "img", "aria-label": `Latency distribution of ${domain.domain}` });
    const hasBuckets = domain.latency_buckets.some((bucket) => bucket.count > 0);
    if (hasBuckets) {
      charts.push(() => barChart(canvas, {
        labels: bucketLabels(domain.latency_buckets),
        values: domain.latency_buckets.map((bucket) => bucket.count),
        colors: "#5ec8f2",
        format: (value) => `${fmtCount(value)} requests`,
      }));
    }
    const budget = domain.error_budget;
    return el("article", { class: `card domain-card status-edge-${domain.status}`, dataset: { domain: domain.domain } },
      el("header", { class: "card-head" },
        el("h3", { class: "card-title mono" }, domain.domain),
        el("span", { class: domain.tls ? "tag tag-tls" : "tag tag-plain", title: domain.tls ? "served over TLS" : "served without TLS" }, domain.tls ? "TLS" : "no TLS"),
        statusBadge(domain.status)),
      el("div", { class: "metrics" },
        metric("Availability", fmtAvailability(s.availability), "availability", availabilityNote),
        metric("p95", fmtMs(s.p95), "p95", p95Note),
        metric("p99", fmtMs(s.p99), "p99"),
        metric("Throughput", fmtRps(s.rps), "rps", `${fmtCount(s.total_requests)} requests`)),
      el("div", { class: "previous", dataset: { metric: "previous" } }, previousText(domain.previous)),
      el("div", { class: "budget", dataset: { metric: "error_budget" } },
        el("div", { class: "budget-row" }, el("span", {}, "Error budget remaining"),
          el("span", { class: `metric-value-small text-${budgetStatus(budget)}` }, fmtBudget(budget))),
        meter(budget, `status-${budgetStatus(budget)}`)),
      el("figure", { class: "chart-box" }, el("figcaption", {}, "Latency distribution (requests per bucket)"),
        hasBuckets ? el("div", { class: "chart-area small-chart" }, canvas) : el("p", { class: "muted small" }, "No latency observations in this range.")),
      el("div", { class: "breakdowns" },
        breakdownTable("Methods", "methods", "Method", domain.methods, { withErrors: true }),
        breakdownTable("Status codes", "status_codes", "Code", domain.status_codes, { withErrors: false })),
      this.backends(domain));
  }

  backends(domain) {
    const section = el("section", { class: "backends" }, el("h4", {}, "Backends"));
    if (!domain.services.length) return append(section, el("p", { class: "muted small" }, "No backend in the routes."));
    return append(section, el("ul", { class: "backend-list" }, domain.services.map((service) => el("li", { dataset: { serviceKey: service.service_key } },
      el("div", { class: "backend-line" },
        el("span", { class: "mono" }, service.service_key),
        statusBadge(service.status),
        el("span", { class: "muted small" }, `${fmtRps(service.current.rps)} · ${fmtAvailability(service.current.availability)}`)),
      el("div", { class: "muted small" }, "paths ", service.paths.length ? service.paths.join(", ") : DASH),
      service.backend_service_ids.length
        ? el("div", { class: "backend-links" }, service.backend_service_ids.map((id) => el("button", {
          type: "button", class: "link backend-link", dataset: { target: id },
          onclick: () => this.context.jumpToWorkload(id),
        }, `→ ${id}`)))
        : el("div", { class: "muted small" }, "no matching mesh workload")))));
  }
}
