// The service mesh layer: call graph, sortable workload table, detail panel.

import { getJson } from "./api.js";
import { barChart, lineChart } from "./charts.js";
import { append, clear, el, statusBadge } from "./dom.js";
import { fmtAvailability, bucketLabels, fmtBudget, fmtCount, fmtMs, fmtPct, fmtRps, fmtTime, RANGE_SECONDS } from "./format.js";
import { MeshGraph } from "./graph.js";
import { statusChangeList } from "./changes.js";
import { detailFrom, splitId, statusChangesFrom, topologyFrom } from "./model.js";
import { objectivesPanel } from "./objectives.js";
import { burnDownBox, burnRatesSection, fetchBudget, fetchKeyAlerts } from "./burn.js";

const CHANGES_SHOWN = 8;
const NARROW = window.matchMedia("(max-width: 1100px)"); // keep in step with dashboard.css
const STATUS_RANK = { critical: 3, warning: 2, healthy: 1, unknown: 0 };
const CODE_COLORS = { "1xx": "#7d8796", "2xx": "#2fb67c", "3xx": "#5ec8f2", "4xx": "#e9a23b", "5xx": "#e5484d" };

const COLUMNS = [
  { key: "name", cell: (node, select) => el("td", {}, el("button", { type: "button", class: "link", onclick: () => select(node.id) }, node.name)) },
  { key: "namespace", cell: (node) => el("td", { class: "muted" }, node.namespace) },
  { key: "status", cell: (node) => el("td", {}, statusBadge(node.status)) },
  { key: "rps", cell: (node) => el("td", { class: "num" }, fmtRps(node.rps)) },
  { key: "p95", cell: (node) => el("td", { class: "num" }, fmtMs(node.p95)) },
  { key: "error_rate", cell: (node) => el("td", { class: "num" }, fmtPct(node.error_rate)) },
  { key: "availability", cell: (node) => el("td", { class: "num" }, fmtAvailability(node.availability)) },
  { key: "mtls_percent", cell: (node) => el("td", { class: "num" }, fmtPct(node.mtls_percent, 1)) },
  { key: "total_requests", cell: (node) => el("td", { class: "num" }, fmtCount(node.total_requests)) },
];

function sortValue(node, key) {
  if (key === "status") return STATUS_RANK[node.status] ?? 0;
  return node[key];
}

function compareNodes(key, direction) {
  return (a, b) => {
    const left = sortValue(a, key);
    const right = sortValue(b, key);
    // Missing numbers (no traffic) always sink to the bottom, whatever the direction.
    if (left === null && right === null) return a.id.localeCompare(b.id);
    if (left === null) return 1;
    if (right === null) return -1;
    const order = typeof left === "string" ? left.localeCompare(right) : left - right;
    return order ? order * direction : a.id.localeCompare(b.id);
  };
}

function tile(label, value, metric, extra = null) {
  return el("div", { class: "tile", dataset: { metric } }, el("div", { class: "tile-label" }, label),
    el("div", { class: "tile-value" }, value), extra);
}

function chartBox(title, metric) {
  const canvas = el("canvas", { role: "img", "aria-label": title });
  return { box: el("figure", { class: "chart-box", dataset: { chart: metric } }, el("figcaption", {}, title), el("div", { class: "chart-area" }, canvas)), canvas };
}

export class MeshLayer {
  constructor(root, context) {
    this.root = root;
    this.context = context; // { params(), onSelect(id) }
    this.topology = { nodes: [], edges: [] };
    this.nodesById = new Map();
    this.selected = null;
    this.sort = { key: "rps", direction: -1 };
    this.filter = "";
    this.detailAbort = null;
    this.revealDetail = false;
    this.graph = new MeshGraph(root.querySelector("#graph"), { onSelect: (id) => this.context.onSelect(id) });
    this.table = root.querySelector("#workload-table");
    this.detail = root.querySelector("#detail");
    this.count = root.querySelector("#workload-count");
    for (const header of this.table.querySelectorAll("th[data-sort]")) {
      header.tabIndex = 0;
      const sortBy = () => this.sortBy(header.dataset.sort);
      header.addEventListener("click", sortBy);
      header.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(); } });
    }
    root.querySelector("#workload-filter").addEventListener("input", (event) => {
      this.filter = event.target.value.trim().toLowerCase();
      this.renderTable();
    });
    root.querySelector("#graph-fit").addEventListener("click", () => this.graph.fit());
    // A phone shows a few of the nine columns: say that the rest is a sideways scroll away.
    this.scroller = root.querySelector(".table-scroll");
    this.scrollHint = root.querySelector("[data-role=scroll-hint]");
    new ResizeObserver(() => this.showScrollHint()).observe(this.scroller);
    this.scroller.addEventListener("scroll", () => this.showScrollHint(), { passive: true });
  }

  showScrollHint() {
    const { scrollWidth, clientWidth, scrollLeft } = this.scroller;
    const more = scrollWidth - clientWidth - scrollLeft > 1;
    this.scrollHint.hidden = scrollWidth <= clientWidth + 1;
    this.scroller.classList.toggle("more-right", more);
  }

  async load(signal) {
    const raw = await getJson("api/v2/slo/mesh/topology", this.context.params(), signal);
    // Marks for the render benchmark (and anyone profiling in the browser).
    performance.mark("meshslo:topology-received");
    this.topology = topologyFrom(raw);
    this.nodesById = new Map(this.topology.nodes.map((node) => [node.id, node]));
    if (this.topology.nodes.length === 0) {
      this.closeDetail();
      return "empty";
    }
    this.renderTable();
    performance.mark("meshslo:table-filled");
    // The graph measures its container, so it is drawn once the layer is visible.
    requestAnimationFrame(() => {
      this.graph.render(this.topology.nodes, this.topology.edges);
      this.graph.select(this.selected);
      performance.mark("meshslo:graph-laid-out");
      // Two frames later the canvas has been painted: that is "rendered" for people and tests.
      requestAnimationFrame(() => requestAnimationFrame(() => {
        performance.mark("meshslo:graph-painted");
        this.root.dataset.renderedAt = String(performance.now());
      }));
    });
    // A workload without traffic in this range still gets its detail (the API says what it knows).
    if (this.selected) this.loadDetail(this.selected, { quiet: true });
    return "ready";
  }

  sortBy(key) {
    this.sort = this.sort.key === key
      ? { key, direction: -this.sort.direction }
      : { key, direction: ["name", "namespace"].includes(key) ? 1 : -1 };
    this.renderTable();
  }

  renderTable() {
    const { key, direction } = this.sort;
    for (const header of this.table.querySelectorAll("th[data-sort]")) {
      if (header.dataset.sort === key) header.setAttribute("aria-sort", direction > 0 ? "ascending" : "descending");
      else header.removeAttribute("aria-sort");
    }
    const visible = this.topology.nodes.filter((node) => !this.filter
      || node.name.toLowerCase().includes(this.filter) || node.namespace.toLowerCase().includes(this.filter));
    visible.sort(compareNodes(key, direction));
    const select = (id) => this.context.onSelect(id);
    const rows = visible.map((node) => {
      const row = el("tr", { dataset: { nodeId: node.id }, class: node.id === this.selected ? "selected" : "" });
      for (const column of COLUMNS) row.append(column.cell(node, select));
      return row;
    });
    this.table.tBodies[0].replaceChildren(...rows);
    this.showScrollHint();
    this.count.textContent = visible.length === this.topology.nodes.length
      ? `${visible.length} workloads`
      : `${visible.length} of ${this.topology.nodes.length} workloads`;
  }

  select(id) {
    this.selected = id || null;
    this.graph.select(this.selected);
    for (const row of this.table.tBodies[0].rows) row.classList.toggle("selected", row.dataset.nodeId === this.selected);
    if (!this.selected) {
      this.closeDetail();
      return;
    }
    this.loadDetail(this.selected, { quiet: false });
    this.revealDetailOnNarrowScreens();
  }

  // On narrow screens the panel sits below the graph: bring it into view.
  revealDetailOnNarrowScreens() {
    this.revealDetail = false;
    if (NARROW.matches) this.detail.scrollIntoView({ block: "start", behavior: "smooth" });
  }

  closeDetail() {
    if (this.detailAbort) this.detailAbort.abort();
    this.detail.hidden = true;
    this.detail.dataset.nodeId = "";
    clear(this.detail);
    this.root.classList.remove("with-detail");
  }

  async loadDetail(id, { quiet }) {
    if (this.detailAbort) this.detailAbort.abort();
    const abort = new AbortController();
    this.detailAbort = abort;
    const { namespace, name } = splitId(id);
    const params = { ...this.context.params(), namespace, name };
    this.detail.hidden = false;
    this.root.classList.add("with-detail");
    if (!quiet || this.detail.dataset.nodeId !== id) {
      this.detail.dataset.state = "loading";
      this.detail.dataset.nodeId = id;
      this.detail.replaceChildren(this.detailHeader(this.nodesById.get(id) || { name: id, namespace: "", status: "unknown" }),
        el("p", { class: "muted loading" }, "Loading workload detail…"));
    }
    try {
      const changesParams = { cluster_id: params.cluster_id, target_type: "service", key: id, limit: CHANGES_SHOWN };
      const keyParams = { cluster_id: params.cluster_id, target_type: "service", key: id };
      const [detailRaw, changesRaw, keyAlerts] = await Promise.all([
        getJson("api/v2/slo/mesh/service/detail", params, abort.signal),
        // The detail is worth showing even when the status history cannot be read.
        getJson("api/v2/slo/status-history", changesParams, abort.signal).catch((error) => {
          if (error.name === "AbortError") throw error;
          return null;
        }),
        fetchKeyAlerts(keyParams, abort.signal),
      ]);
      if (abort.signal.aborted) return;
      const detail = detailFrom(detailRaw);
      const drawBurnDown = this.renderDetail(id, detail, changesRaw === null ? null : statusChangesFrom(changesRaw), keyAlerts);
      const window = detail.objectives[0]?.window;
      if (window) {
        const budget = await fetchBudget({ ...keyParams, window }, abort.signal);
        if (!abort.signal.aborted) drawBurnDown(budget);
      }
      // Arrived from a domain card's backend link.
      if (this.revealDetail) this.revealDetailOnNarrowScreens();
    } catch (error) {
      if (error.name === "AbortError") return;
      this.detail.dataset.state = "error";
      this.detail.replaceChildren(this.detailHeader(this.nodesById.get(id) || { name: id, namespace: "", status: "unknown" }),
        el("p", { class: "error-text" }, `Could not load this workload: ${error.message}`));
    }
  }

  detailHeader(node) {
    return el("div", { class: "detail-head" },
      el("div", {},
        el("h2", { class: "detail-title" }, node.name),
        el("div", { class: "muted small" }, "namespace ", el("span", { class: "mono" }, node.namespace))),
      statusBadge(node.status),
      el("button", { type: "button", class: "btn btn-small", "aria-label": "Close detail", onclick: () => this.context.onSelect(null) }, "✕"));
  }

  setAlerts(pagedIds) {
    this.graph.markAlerts(pagedIds);
  }

  // Returns the burn-down chart's draw(budget), called once /budget answers.
  renderDetail(id, detail, changes, keyAlerts) {
    const node = detail.node.id ? detail.node : this.nodesById.get(id) || detail.node;
    const rangeSeconds = RANGE_SECONDS[this.context.params().time_range] || 3600;
    const tiles = el("div", { class: "tiles" },
      tile("Requests / s", fmtRps(node.rps), "rps"),
      tile("Requests", fmtCount(node.total_requests), "total_requests"),
      tile("Error rate", fmtPct(node.error_rate), "error_rate"),
      tile("Availability", fmtAvailability(node.availability), "availability",
        detail.targets.availability === null ? null : el("div", { class: "tile-note" }, `target ${fmtAvailability(detail.targets.availability)}`)),
      tile("p50", fmtMs(node.p50), "p50"),
      tile("p95", fmtMs(node.p95), "p95",
        detail.targets.p95 === null ? null : el("div", { class: "tile-note" }, `target ${fmtMs(detail.targets.p95)}`)),
      tile("p99", fmtMs(node.p99), "p99"),
      tile("Average", fmtMs(node.avg), "avg"),
      tile("mTLS", fmtPct(node.mtls_percent, 1), "mtls_percent"),
      tile("Error budget", fmtBudget(detail.error_budget), "error_budget"),
      tile("Errors", fmtCount(node.errors), "errors"));

    const history = detail.history.filter((point) => point.timestamp !== null);
    // Points without snapshots are null: a range with no snapshot at all has nothing to draw.
    const anyData = history.some((point) => ["rps", "p95", "error_rate", "availability"].some((key) => point[key] !== null));
    const labels = history.map((point) => fmtTime(point.timestamp, rangeSeconds));
    const rps = chartBox("Requests per second", "rps");
    const p95 = chartBox("p95 latency", "p95");
    const errors = chartBox("Error rate", "error_rate");
    const availability = chartBox("Availability", "availability");
    const histogram = chartBox("Latency distribution (requests per bucket)", "latency");
    const codes = chartBox("Status codes", "status_codes");
    const burnDown = burnDownBox(node.name);

    const historyBlock = anyData
      ? el("div", { class: "chart-grid" }, rps.box, p95.box, errors.box, availability.box)
      : el("p", { class: "muted empty-inline" }, "No history points in this range.");
    const bucketsWithData = detail.latency_buckets.some((bucket) => bucket.count > 0);

    this.detail.dataset.state = "ready";
    this.detail.dataset.nodeId = id;
    this.detail.replaceChildren(
      this.detailHeader(node),
      tiles,
      objectivesPanel({ clusterId: this.context.params().cluster_id, targetType: "service", key: id }, {
        objectives: detail.objectives, targets: detail.targets,
        onChange: () => this.loadDetail(id, { quiet: true }),
        extra: el("div", { class: "burn" }, burnRatesSection(keyAlerts), detail.objectives.length ? burnDown.box : null),
      }),
      el("h3", {}, "History"),
      historyBlock,
      el("div", { class: "chart-grid" },
        bucketsWithData ? histogram.box : el("p", { class: "muted empty-inline" }, "No latency observations in this range."),
        detail.status_codes.length ? codes.box : el("p", { class: "muted empty-inline" }, "No status codes in this range.")),
      this.peerTable("Upstreams (callers)", "upstreams", detail.upstreams),
      this.peerTable("Downstreams (callees)", "downstreams", detail.downstreams),
      el("section", { class: "status-changes", dataset: { changes: "service" } }, el("h3", {}, "Status changes"),
        changes === null
          ? el("p", { class: "muted small" }, "The status history could not be read.")
          : statusChangeList(changes, "No status change recorded for this workload.")),
    );

    if (anyData) {
      lineChart(rps.canvas, { labels, values: history.map((p) => p.rps), color: "#5ec8f2", format: fmtRps });
      lineChart(p95.canvas, { labels, values: history.map((p) => p.p95), color: "#b48cf2", format: fmtMs });
      lineChart(errors.canvas, { labels, values: history.map((p) => p.error_rate), color: "#e5484d", format: (v) => fmtPct(v), min: 0 });
      lineChart(availability.canvas, { labels, values: history.map((p) => p.availability), color: "#2fb67c", format: fmtAvailability, max: 100 });
    }
    if (bucketsWithData) {
      barChart(histogram.canvas, {
        labels: bucketLabels(detail.latency_buckets),
        values: detail.latency_buckets.map((bucket) => bucket.count),
        colors: "#5ec8f2",
        format: (value) => `${fmtCount(value)} requests`,
      });
    }
    if (detail.status_codes.length) {
      barChart(codes.canvas, {
        labels: detail.status_codes.map((item) => item.key),
        values: detail.status_codes.map((item) => item.count),
        colors: detail.status_codes.map((item) => CODE_COLORS[item.key] || "#7d8796"),
        format: (value) => `${fmtCount(value)} requests`,
      });
    }
    return burnDown.draw;
  }

  peerTable(title, role, peers) {
    const section = el("section", { class: "peers", dataset: { peers: role } }, el("h3", {}, title));
    if (!peers.length) return append(section, el("p", { class: "muted empty-inline" }, "None in this range."));
    const rows = peers.map((peer) => el("tr", { dataset: { nodeId: peer.id } },
      el("td", {}, this.nodesById.has(peer.id)
        ? el("button", { type: "button", class: "link", onclick: () => this.context.onSelect(peer.id) }, peer.name)
        : peer.name, el("span", { class: "muted small" }, ` ${peer.namespace}`)),
      el("td", { class: "num" }, fmtRps(peer.rps)),
      el("td", { class: "num" }, fmtPct(peer.error_rate)),
      el("td", { class: "num" }, fmtMs(peer.avg))));
    return append(section, el("table", { class: "data-table compact" },
      el("thead", {}, el("tr", {}, el("th", {}, "Workload"), el("th", { class: "num" }, "RPS"),
        el("th", { class: "num" }, "Error rate"), el("th", { class: "num" }, "Avg latency"))),
      el("tbody", {}, rows)));
  }
}
