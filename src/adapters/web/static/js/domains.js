// The domains layer: one card per ingress domain, with links that jump to the
// backend workloads in the mesh layer.

import { getJson } from "./api.js";
import { statusChangeList } from "./changes.js";
import { barChart, lineChart } from "./charts.js";
import { append, el, statusBadge } from "./dom.js";
import { DASH, fmtAvailability, bucketLabels, fmtBudget, fmtCount, fmtMs, fmtPct, fmtRps, fmtTime, RANGE_SECONDS } from "./format.js";
import { domainHistoryFrom, domainsFrom, statusChangesFrom } from "./model.js";
import { budgetStatus, meter, objectivesPanel } from "./objectives.js";
import { burnDownBox, burnRatesSection, fetchBudget, fetchKeyAlerts } from "./burn.js";

const CHANGES_FETCHED = 200;
const CHANGES_SHOWN = 3;
const STATUS_ORDER = ["critical", "warning", "healthy", "unknown"];

function metric(label, value, name, note = null) {
  return el("div", { class: "metric", dataset: { metric: name } },
    el("div", { class: "metric-label" }, label),
    el("div", { class: "metric-value" }, value),
    note ? el("div", { class: "metric-note muted small" }, note) : null);
}

function previousText(previous) {
  if (!previous.total_requests) return "Previous period: no traffic.";
  return `Previous period: ${fmtAvailability(previous.availability)} available, p95 ${fmtMs(previous.p95)}, ${fmtRps(previous.rps)}.`;
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
    this.context = context; // { params(), jumpToWorkload(id), reload() }
    this.summary = root.querySelector("#domain-summary");
    this.cards = root.querySelector("#domain-cards");
  }

  async load(signal) {
    const params = this.context.params();
    const changesParams = { cluster_id: params.cluster_id, target_type: "ingress", limit: CHANGES_FETCHED };
    const [raw, changesRaw, ingressAlerts] = await Promise.all([
      getJson("api/v2/slo/domains/v2", params, signal),
      // The cards are worth showing even when the status history cannot be read.
      getJson("api/v2/slo/status-history", changesParams, signal).catch((error) => {
        if (error.name === "AbortError") throw error;
        return null;
      }),
      // One request for every card's burn rates, not one per domain.
      fetchKeyAlerts({ cluster_id: params.cluster_id, target_type: "ingress" }, signal),
    ]);
    const data = domainsFrom(raw);
    if (!data.domains.length) return "empty";
    const changes = changesRaw === null ? null : statusChangesFrom(changesRaw);
    this.renderSummary(data);
    const charts = [];
    const sorted = [...data.domains].sort((a, b) =>
      STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) || a.domain.localeCompare(b.domain));
    const alertsOf = (key) => (ingressAlerts.error ? ingressAlerts : { alerts: ingressAlerts.alerts.filter((alert) => alert.key === key) });
    const cards = sorted.map((domain) => this.card(domain, charts, changes, alertsOf(domain.domain)));
    this.cards.replaceChildren(...cards.map((card) => card.element));
    for (const draw of charts) draw();
    this.observeHistories(cards, params, signal);
    this.revealFocus(cards);
    this.root.dataset.renderedAt = String(performance.now());
    return "ready";
  }

  // A card's history is fetched when the card scrolls into view: fifty domains
  // do not mean fifty requests on every refresh.
  observeHistories(cards, params, signal) {
    if (this.observer) this.observer.disconnect();
    const byElement = new Map(cards.map((card) => [card.element, card]));
    this.observer = new IntersectionObserver((entries, observer) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        observer.unobserve(entry.target);
        this.loadHistory(byElement.get(entry.target), params, signal);
      }
    });
    for (const card of cards) this.observer.observe(card.element);
  }

  // Opened from an alert: bring that domain's card (or the card routing that backend) into view.
  revealFocus(cards) {
    const key = this.focus;
    this.focus = null;
    if (!key) return;
    const card = cards.find((item) => item.domain === key) || cards.find((item) => item.serviceKeys.includes(key));
    if (!card) return;
    for (const other of cards) other.element.classList.toggle("focused", other === card);
    card.element.scrollIntoView({ block: "start" });
  }

  async loadBurnDown(card, params, signal) {
    if (!card.window) return;
    const budget = await fetchBudget({ cluster_id: params.cluster_id, target_type: "ingress", key: card.domain, window: card.window }, signal);
    if (!signal.aborted) card.burnDown.draw(budget);
  }

  async loadHistory(card, params, signal) {
    this.loadBurnDown(card, params, signal).catch(() => {});
    const box = card.history;
    box.dataset.state = "loading";
    try {
      const points = domainHistoryFrom(await getJson("api/v2/slo/domains/history", { ...params, domain: card.domain }, signal))
        .filter((point) => point.timestamp !== null);
      if (signal.aborted) return;
      if (!points.some((point) => point.availability !== null)) {
        box.replaceChildren(el("p", { class: "muted small" }, "No traffic in this range."));
      } else {
        const labels = points.map((point) => fmtTime(point.timestamp, RANGE_SECONDS[params.time_range] || 3600));
        const availability = el("canvas", { role: "img", "aria-label": `Availability of ${card.domain} over the range` });
        const p95 = el("canvas", { role: "img", "aria-label": `p95 latency of ${card.domain} over the range` });
        box.replaceChildren(
          el("figure", { class: "chart-box", dataset: { chart: "availability" } }, el("figcaption", {}, "Availability"),
            el("div", { class: "chart-area small-chart" }, availability)),
          el("figure", { class: "chart-box", dataset: { chart: "p95" } }, el("figcaption", {}, "p95 latency"),
            el("div", { class: "chart-area small-chart" }, p95)));
        lineChart(availability, { labels, values: points.map((p) => p.availability), color: "#2fb67c", format: fmtAvailability, max: 100 });
        lineChart(p95, { labels, values: points.map((p) => p.p95), color: "#b48cf2", format: fmtMs });
      }
      box.dataset.state = "ready";
    } catch (error) {
      if (error.name === "AbortError") return;
      box.dataset.state = "error";
      box.replaceChildren(el("p", { class: "error-text small" }, `History unavailable: ${error.message}`));
    }
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

  card(domain, charts, changes, keyAlerts) {
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
    const history = el("div", { class: "chart-grid domain-history", dataset: { state: "waiting" } },
      el("p", { class: "muted small" }, "Loading history…"));
    const burnDown = burnDownBox(domain.domain);
    const ownChanges = changes === null ? null : changes.filter((change) => change.key === domain.domain).slice(0, CHANGES_SHOWN);
    const element = el("article", { class: `card domain-card status-edge-${domain.status}`, dataset: { domain: domain.domain } },
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
      objectivesPanel({ clusterId: this.context.params().cluster_id, targetType: "ingress", key: domain.domain }, {
        objectives: domain.objectives, targets: domain.targets, heading: "h4",
        onChange: () => this.context.reload(),
        extra: el("div", { class: "burn" }, burnRatesSection(keyAlerts), domain.objectives.length ? burnDown.box : null),
      }),
      el("figure", { class: "chart-box", dataset: { chart: "latency" } }, el("figcaption", {}, "Latency distribution (requests per bucket)"),
        hasBuckets ? el("div", { class: "chart-area small-chart" }, canvas) : el("p", { class: "muted small" }, "No latency observations in this range.")),
      el("div", { class: "breakdowns" },
        breakdownTable("Methods", "methods", "Method", domain.methods, { withErrors: true }),
        breakdownTable("Status codes", "status_codes", "Code", domain.status_codes, { withErrors: false })),
      el("section", {}, el("h4", {}, "Over the range"), history),
      this.backends(domain),
      el("section", { class: "status-changes", dataset: { changes: "ingress" } }, el("h4", {}, "Status changes"),
        ownChanges === null
          ? el("p", { class: "muted small" }, "The status history could not be read.")
          : statusChangeList(ownChanges, "No status change recorded for this domain.")));
    return {
      element, domain: domain.domain, history, burnDown, window: domain.objectives[0]?.window || "",
      serviceKeys: domain.services.map((service) => service.service_key),
    };
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
