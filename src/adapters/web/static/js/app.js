// Page bootstrap: selectors, layers, auto-refresh, loading / error / empty states.
// The URL hash keeps layer, cluster, range and selected workload, so a view can be shared.

import { AlertsIndicator } from "./alerts.js";
import { adoptTokenFromUrl, getJson } from "./api.js";
import { DomainsLayer } from "./domains.js";
import { el } from "./dom.js";
import { fmtAge, RANGE_SECONDS } from "./format.js";
import { MeshLayer } from "./mesh.js";
import { clustersFrom } from "./model.js";

const REFRESH_MS = 30000;
const STALE_AFTER_SECONDS = 300;

const EMPTY_TEXT = {
  "no-agent": ["No agent has reported yet.", "Start meshslo agent in a cluster with --master-url pointing here; the dashboard fills in after its first snapshots."],
  "mesh-empty": ["No traffic in this range.", "No workload handled a request in the selected time range for this cluster. Try a longer range."],
  "domains-empty": ["No domains in this range.", "No ingress route or ingress traffic was reported for this cluster in the selected time range."],
};

const $ = (selector) => document.querySelector(selector);

class Dashboard {
  constructor() {
    const hash = new URLSearchParams(window.location.hash.slice(1));
    this.layer = hash.get("layer") === "domains" ? "domains" : "mesh";
    this.cluster = hash.get("cluster") || "";
    this.range = RANGE_SECONDS[hash.get("range")] ? hash.get("range") : "1h";
    this.selected = hash.get("workload") || null;
    this.clusters = [];
    this.autoRefresh = true;
    this.loads = { mesh: null, domains: null };
    this.layers = {
      mesh: new MeshLayer($("#layer-mesh"), { params: () => this.params(), onSelect: (id) => this.selectWorkload(id) }),
      domains: new DomainsLayer($("#layer-domains"), { params: () => this.params(), jumpToWorkload: (id) => this.jumpToWorkload(id),
        reload: () => this.loadLayer("domains") }),
    };
    this.layers.mesh.selected = this.selected;
    this.alerts = new AlertsIndicator($("#alerts"), {
      params: () => this.params(),
      openWorkload: (id) => this.jumpToWorkload(id),
      openDomain: (key) => this.jumpToDomain(key),
    });
    this.alertsLoad = null;
    this.bindControls();
  }

  params() {
    return { cluster_id: this.cluster || undefined, time_range: this.range };
  }

  bindControls() {
    for (const tab of document.querySelectorAll(".tabs [data-layer]")) {
      tab.addEventListener("click", () => this.showLayer(tab.dataset.layer));
    }
    $("#range-select").value = this.range;
    $("#range-select").addEventListener("change", (event) => {
      this.range = event.target.value;
      this.refresh();
    });
    $("#cluster-select").addEventListener("change", (event) => {
      this.cluster = event.target.value;
      this.selected = null;
      this.layers.mesh.selected = null;
      this.layers.mesh.closeDetail();
      this.refresh();
    });
    $("#refresh-now").addEventListener("click", () => this.refresh());
    $("#refresh-toggle").addEventListener("click", () => this.setAutoRefresh(!this.autoRefresh));
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && this.autoRefresh) this.refresh();
    });
  }

  setAutoRefresh(on) {
    this.autoRefresh = on;
    const toggle = $("#refresh-toggle");
    toggle.setAttribute("aria-pressed", String(on));
    toggle.textContent = on ? "Auto 30 s: on" : "Auto 30 s: paused";
    toggle.classList.toggle("paused", !on);
    this.schedule();
  }

  schedule() {
    clearTimeout(this.timer);
    if (this.autoRefresh) this.timer = setTimeout(() => { if (!document.hidden) this.refresh(); else this.schedule(); }, REFRESH_MS);
  }

  writeHash() {
    const hash = new URLSearchParams();
    hash.set("layer", this.layer);
    if (this.cluster) hash.set("cluster", this.cluster);
    hash.set("range", this.range);
    if (this.selected) hash.set("workload", this.selected);
    window.history.replaceState(null, "", `${window.location.pathname}${window.location.search}#${hash}`);
  }

  applyLayer(layer) {
    this.layer = layer;
    document.body.dataset.layer = layer;
    for (const tab of document.querySelectorAll(".tabs [data-layer]")) tab.setAttribute("aria-selected", String(tab.dataset.layer === layer));
    $("#layer-mesh").hidden = layer !== "mesh";
    $("#layer-domains").hidden = layer !== "domains";
    this.writeHash();
  }

  showLayer(layer) {
    this.applyLayer(layer);
    this.loadLayer(layer);
  }

  selectWorkload(id) {
    this.selected = id;
    this.writeHash();
    this.layers.mesh.select(id);
  }

  jumpToWorkload(id) {
    this.selected = id;
    this.layers.mesh.selected = id;
    this.layers.mesh.revealDetail = true;
    // The domains list may have been scrolled far down: start the mesh layer at its top.
    window.scrollTo({ top: 0 });
    this.showLayer("mesh");
  }

  jumpToDomain(key) {
    this.layers.domains.focus = key;
    this.showLayer("domains");
  }

  // The top bar's firing alerts and the graph's marks; a failure never blocks the layers.
  async loadAlerts() {
    if (this.alertsLoad) this.alertsLoad.abort();
    const abort = new AbortController();
    this.alertsLoad = abort;
    try {
      await this.alerts.load(abort.signal);
      if (!abort.signal.aborted) this.layers.mesh.setAlerts(this.alerts.pagedWorkloads());
    } catch (error) {
      if (error.name !== "AbortError") this.alerts.render(error.message);
    }
  }

  setLayerState(layer, state, error = null) {
    const root = $(`#layer-${layer}`);
    root.dataset.state = state;
    const message = root.querySelector("[data-role=state-message]");
    const content = root.querySelector("[data-role=content]");
    const emptyKey = state === "no-agent" ? "no-agent" : state === "empty" ? `${layer}-empty` : null;
    if (emptyKey) {
      const [title, help] = EMPTY_TEXT[emptyKey];
      message.replaceChildren(el("h2", {}, title), el("p", { class: "muted" }, help));
      message.className = "state-message empty";
    } else if (state === "error" && !root.dataset.loadedOnce) {
      message.replaceChildren(el("h2", {}, "Could not load data."), el("p", { class: "muted" }, error.message));
      message.className = "state-message error";
    } else if (state === "loading" && !root.dataset.loadedOnce) {
      message.replaceChildren(el("div", { class: "spinner", "aria-hidden": "true" }), el("p", { class: "muted" }, "Loading…"));
      message.className = "state-message loading";
    } else {
      message.replaceChildren();
    }
    message.hidden = message.childElementCount === 0;
    // While refreshing, or after an error, keep the last good picture on screen.
    content.hidden = Boolean(emptyKey) || (!root.dataset.loadedOnce && state !== "ready");
  }

  showBanner(text) {
    const banner = $("#banner");
    banner.textContent = text || "";
    banner.hidden = !text;
  }

  async loadClusters() {
    const clusters = clustersFrom(await getJson("api/v2/clusters"));
    this.clusters = clusters;
    const select = $("#cluster-select");
    if (!clusters.some((cluster) => cluster.id === this.cluster)) this.cluster = clusters[0]?.id || "";
    select.replaceChildren(...clusters.map((cluster) => el("option", { value: cluster.id }, cluster.id)));
    select.value = this.cluster;
    select.disabled = clusters.length < 2;
    this.showFreshness();
    return clusters.length > 0;
  }

  showFreshness() {
    const cluster = this.clusters.find((item) => item.id === this.cluster);
    const badge = $("#cluster-freshness");
    if (!cluster || cluster.lastSnapshot === null) {
      badge.textContent = "";
      return;
    }
    const age = Date.now() / 1000 - cluster.lastSnapshot;
    badge.textContent = `last report ${fmtAge(age)}`;
    badge.classList.toggle("stale", age > STALE_AFTER_SECONDS);
    badge.title = age > STALE_AFTER_SECONDS ? "This cluster's agent has not reported for a while." : "";
  }

  async loadLayer(layer) {
    if (this.loads[layer]) this.loads[layer].abort();
    const abort = new AbortController();
    this.loads[layer] = abort;
    const root = $(`#layer-${layer}`);
    this.setLayerState(layer, "loading");
    root.classList.add("refreshing");
    try {
      if (!this.clusters.length) {
        this.setLayerState(layer, "no-agent");
        return;
      }
      const state = await this.layers[layer].load(abort.signal);
      if (abort.signal.aborted) return;
      if (state === "ready") root.dataset.loadedOnce = "1";
      else delete root.dataset.loadedOnce;
      this.setLayerState(layer, state);
      this.showBanner(null);
      $("#updated-at").textContent = `updated ${new Date().toLocaleTimeString("en-GB", { hour12: false })}`;
    } catch (error) {
      if (error.name === "AbortError") return;
      this.setLayerState(layer, "error", error);
      this.showBanner(root.dataset.loadedOnce ? `Refresh failed, showing earlier data: ${error.message}` : error.message);
    } finally {
      if (this.loads[layer] === abort) {
        root.classList.remove("refreshing");
        this.loads[layer] = null;
      }
    }
  }

  async refresh() {
    this.schedule();
    this.writeHash();
    try {
      await this.loadClusters();
    } catch (error) {
      this.showBanner(error.message);
      for (const layer of ["mesh", "domains"]) this.setLayerState(layer, "error", error);
      return;
    }
    // Only the visible layer is fetched; the other one loads again when it is shown.
    await Promise.all([this.loadLayer(this.layer), this.loadAlerts()]);
  }

  start() {
    this.applyLayer(this.layer);
    this.refresh();
  }
}

function boot() {
  adoptTokenFromUrl();
  const missing = [["cytoscape", window.cytoscape], ["Chart.js", window.Chart]].filter(([, lib]) => !lib).map(([name]) => name);
  if (missing.length) {
    const banner = $("#banner");
    banner.textContent = `The dashboard could not load ${missing.join(" and ")}; check that /static/vendor is served.`;
    banner.hidden = false;
    return;
  }
  const dashboard = new Dashboard();
  // Exposed for troubleshooting from the browser console and for the browser tests.
  window.meshslo = { dashboard, get cy() { return dashboard.layers.mesh.graph.cy; } };
  dashboard.start();
}

boot();
