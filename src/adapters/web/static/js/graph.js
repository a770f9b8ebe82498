// The service call graph, drawn by cytoscape on a canvas: labels are canvas
// text, never HTML. Positions come from the data alone (layout.js): the same
// mesh is drawn the same way on every refresh and reload.

import { fmtPct, fmtRps } from "./format.js";
import { freeLabels, layeredPositions, namespacePositions } from "./layout.js";

export const STATUS_COLORS = {
  healthy: "#2fb67c",
  warning: "#e9a23b",
  critical: "#e5484d",
  unknown: "#6b7585",
};

const MTLS_FULL = 99.5;
// Above this many workloads a layered drawing is a wall of crossing lines;
// namespace blocks (see namespacePositions) stay readable and take linear time.
const LAYERED_LIMIT = 120;
const LARGE_EDGE_COUNT = 600;
const EDGE_LABEL_LIMIT = 60;
const MAX_FIT_ZOOM = 1.3;
const FIT_PADDING = 30;
const NARROW_FIT_PADDING = 10; // a phone cannot spare 60 px of its width
const LABEL_ROOM = 18; // node labels hang below the node
const LABEL_SIDE = 24; // and stick out either side of a small node
// Labels of hovered or selected elements keep this on-screen size at any zoom.
const FOCUS_FONT_PX = 12;

// Colours and rings are classes, not per-element data mappings: cytoscape then
// shares one computed style between many elements, which matters at 500 nodes.
function mtlsClass(percent) {
  if (typeof percent !== "number") return "mtls-unknown";
  if (percent >= MTLS_FULL) return "mtls-full";
  return percent > 0 ? "mtls-partial" : "mtls-none";
}

const STATUSES = Object.keys(STATUS_COLORS);
// Classes that say what the user is looking at, not what the data says: kept across refreshes.
// Alert marks too: markAlerts reconciles them after every render.
const KEPT_CLASSES = new Set(["faded", "focus", "hover", "labelled", "alert-page", "pulse-low"]);
const REDUCED_MOTION = window.matchMedia("(prefers-reduced-motion: reduce)");
const PULSE_MS = 900;

function nodeElements(nodes) {
  const maxRps = Math.max(1e-9, ...nodes.map((node) => node.rps || 0));
  return nodes.map((node) => ({
    group: "nodes",
    classes: `status-${STATUSES.includes(node.status) ? node.status : "unknown"} ${mtlsClass(node.mtls_percent)}`,
    data: {
      id: node.id,
      label: node.name,
      namespace: node.namespace,
      status: node.status,
      rps: node.rps,
      // Whole pixels: equal sizes share a style.
      size: Math.round(22 + 38 * Math.sqrt((node.rps || 0) / maxRps)),
    },
  }));
}

function edgeElements(edges, nodeIds) {
  const maxRps = Math.max(1e-9, ...edges.map((edge) => edge.rps || 0));
  return edges
    .filter((edge) => nodeIds.has(edge.source) && nodeIds.has(edge.target))
    .map((edge) => ({
      group: "edges",
      classes: (edge.error_rate || 0) > 1 ? "failing" : "",
      data: {
        id: `${edge.source}\u2192${edge.target}`,
        source: edge.source,
        target: edge.target,
        rps: edge.rps,
        errorRate: edge.error_rate,
        label: `${fmtRps(edge.rps)} · ${fmtPct(edge.error_rate)} err`,
        width: Math.round(2 + 10 * Math.sqrt((edge.rps || 0) / maxRps)) / 2,
      },
    }));
}

function statusStyles() {
  return STATUSES.map((status) => ({ selector: `node.status-${status}`, style: { "background-color": STATUS_COLORS[status] } }));
}

// On-screen size for the labels of hovered or selected elements: the model
// font is divided by the zoom, so they stay legible when a big mesh is zoomed out.
const focusFont = (element) => FOCUS_FONT_PX / element.cy().zoom();

function stylesheet(large, edgeLabels) {
  return [
    {
      selector: "node",
      style: {
        width: "data(size)",
        height: "data(size)",
        label: "data(label)",
        color: "#d7dde8",
        "font-size": 13,
        "font-family": "Inter, Segoe UI, system-ui, sans-serif",
        "text-valign": "bottom",
        "text-margin-y": 4,
        "text-outline-color": "#141922",
        "text-outline-width": 2,
        "min-zoomed-font-size": 7,
      },
    },
    {
      selector: "edge",
      style: {
        width: "data(width)",
        "line-color": "#66718a",
        "target-arrow-color": "#8f9bb3",
        "target-arrow-shape": "triangle",
        "arrow-scale": 1.15,
        // Haystack edges are cytoscape's cheapest (no arrows); a selected node's edges get them back.
        "curve-style": large ? "haystack" : "bezier",
        "haystack-radius": 0,
        // In a dense mesh the edges would bury the nodes: keep them faint until a node is selected.
        opacity: large ? 0.3 : 0.9,
        // Only the labels that fit beside the nodes and each other (see placeEdgeLabels).
        label: "",
        // Level text on an opaque plate: a rotated 7 px label on the line could not be read.
        "font-size": 11,
        color: "#dfe5ee",
        "text-rotation": "none",
        "text-background-color": "#141922",
        "text-background-opacity": 0.92,
        "text-background-padding": 2,
        "text-background-shape": "roundrectangle",
        // Below 9 px on screen a label is noise: it shows on hover or selection instead.
        "min-zoomed-font-size": 9,
      },
    },
    ...statusStyles(),
    { selector: "node.mtls-full", style: { "border-width": 3, "border-color": "#5ec8f2", "border-style": "solid" } },
    { selector: "node.mtls-partial", style: { "border-width": 3, "border-color": "#5ec8f2", "border-style": "dashed" } },
    { selector: "node.mtls-none", style: { "border-width": 2, "border-color": "#8a94a6", "border-style": "dotted" } },
    { selector: "node.mtls-unknown", style: { "border-width": 1, "border-color": "#3a4250", "border-style": "dotted" } },
    { selector: "edge.failing", style: { "line-color": "#e5484d", "target-arrow-color": "#ff7b80" } },
    // A firing page: a red ring under the node (the border already says mTLS), pulsing.
    {
      selector: "node.alert-page",
      style: {
        "underlay-color": "#e5484d", "underlay-padding": 7, "underlay-opacity": 0.6, "underlay-shape": "ellipse",
        "transition-property": "underlay-opacity, underlay-padding", "transition-duration": PULSE_MS / 1000,
      },
    },
    { selector: "node.alert-page.pulse-low", style: { "underlay-opacity": 0.15, "underlay-padding": 12 } },
    { selector: "node:selected", style: { "border-width": 4, "border-color": "#ffffff", "border-style": "solid" } },
    ...(edgeLabels ? [{ selector: "edge.labelled", style: { label: "data(label)" } }] : []),
    { selector: ".faded", style: { opacity: 0.15 } },
    { selector: "edge.faded", style: { label: "" } },
    { selector: "node.focus, node.hover", style: { "font-size": focusFont, "min-zoomed-font-size": 0, "z-index": 20 } },
    {
      selector: "edge.focus, edge.hover",
      style: {
        label: "data(label)", opacity: 1, "z-index": 10, "curve-style": large ? "straight" : "bezier",
        "font-size": focusFont, "min-zoomed-font-size": 0,
        // Above the nodes, so a label next to a node is not painted over.
        "z-compound-depth": "top",
      },
    },
  ];
}

const NODE_FONT = "13px Inter, Segoe UI, system-ui, sans-serif";
const EDGE_FONT = "11px Inter, Segoe UI, system-ui, sans-serif";
let measure = null;

function textWidth(text, font) {
  measure ||= document.createElement("canvas").getContext("2d");
  measure.font = font;
  return measure.measureText(text).width;
}

const around = (x, y, width, height) => ({ x1: x - width / 2, x2: x + width / 2, y1: y - height / 2, y2: y + height / 2 });

// Edge labels sit at the middle of their edge; the busiest edges keep theirs
// when labels would cover a node, a node's name or each other. The others show
// on hover and on selection.
function placeEdgeLabels(cy) {
  const obstacles = [];
  cy.nodes().forEach((node) => {
    const { x, y } = node.position();
    const size = node.data("size");
    obstacles.push(around(x, y, size + 6, size + 6));
    obstacles.push(around(x, y + size / 2 + 12, textWidth(node.data("label"), NODE_FONT) + 6, 22));
  });
  const candidates = cy.edges().sort((a, b) => (b.data("rps") || 0) - (a.data("rps") || 0) || (a.id() < b.id() ? -1 : 1))
    .map((edge) => {
      const from = edge.source().position();
      const to = edge.target().position();
      return { id: edge.id(), box: around((from.x + to.x) / 2, (from.y + to.y) / 2, textWidth(edge.data("label"), EDGE_FONT) + 10, 22) };
    });
  const kept = freeLabels(candidates, obstacles);
  cy.edges().forEach((edge) => {
    if (kept.has(edge.id())) edge.addClass("labelled");
    else edge.removeClass("labelled");
  });
}

// Preset positions computed from the data alone, so a reload draws the same picture.
function layoutOptions(nodes, edges, vertical) {
  const positions = nodes.length <= LAYERED_LIMIT ? layeredPositions(nodes, edges, { vertical }) : namespacePositions(nodes);
  return { name: "preset", animate: false, fit: false, positions: (node) => positions.get(node.id()) };
}

export class MeshGraph {
  constructor(container, { onSelect }) {
    this.container = container;
    this.onSelect = onSelect;
    this.cy = null;
    this.signature = "";
    this.mode = "";
    this.lastWidth = 0;
    this.lastHeight = 0;
    this.paged = new Set();
    this.pulseTimer = null;
    new ResizeObserver(() => this.resize()).observe(container);
  }

  create(large, edgeLabels) {
    if (this.cy) this.cy.destroy();
    this.mode = `${large}/${edgeLabels}`;
    this.cy = window.cytoscape({
      container: this.container,
      style: stylesheet(large, edgeLabels),
      minZoom: 0.05,
      maxZoom: 4,
      boxSelectionEnabled: false,
      // Large graphs: draw a cached bitmap while panning/zooming instead of every element.
      textureOnViewport: large,
      hideEdgesOnViewport: large,
      pixelRatio: large ? 1 : "auto",
    });
    this.cy.on("tap", "node", (event) => this.onSelect(event.target.id()));
    this.cy.on("tap", (event) => {
      if (event.target === this.cy) this.onSelect(null);
    });
    // Hovering a workload or an edge shows the labels of what it touches.
    this.cy.on("mouseover", "node", (event) => event.target.closedNeighborhood().addClass("hover"));
    this.cy.on("mouseover", "edge", (event) => event.target.addClass("hover"));
    this.cy.on("mouseout", "node, edge", () => this.cy.elements(".hover").removeClass("hover"));
    // Focus labels are sized against the zoom (focusFont): recompute them as it changes.
    this.cy.on("zoom", () => this.cy.elements(".focus, .hover").updateStyle());
  }

  render(nodes, edges) {
    const large = nodes.length > LAYERED_LIMIT || edges.length > LARGE_EDGE_COUNT;
    // Beyond a few dozen edges their labels only overlap: they show for the selected workload.
    const edgeLabels = edges.length <= EDGE_LABEL_LIMIT;
    if (!this.cy || this.mode !== `${large}/${edgeLabels}`) {
      this.create(large, edgeLabels);
      this.signature = "";
    }
    const nodeIds = new Set(nodes.map((node) => node.id));
    const elements = [...nodeElements(nodes), ...edgeElements(edges, nodeIds)];
    const signature = elements.map((element) => element.data.id).sort().join("\n");
    const cy = this.cy;
    if (signature === this.signature) {
      // Same workloads and edges: update numbers and colours, keep the positions.
      cy.batch(() => {
        for (const element of elements) {
          // id, source and target are immutable in cytoscape; they are part of the signature anyway.
          const { id, source, target, ...numbers } = element.data;
          const existing = cy.getElementById(id);
          existing.data(numbers);
          // Keep the selection/focus classes, replace the status ones.
          existing.classes([...element.classes.split(" ").filter(Boolean), ...existing.classes().filter((c) => KEPT_CLASSES.has(c))]);
        }
      });
    } else {
      cy.batch(() => {
        cy.elements().remove();
        cy.add(elements);
      });
      // Taller than wide (a phone): callers above callees instead of left of them.
      const vertical = this.container.clientHeight > this.container.clientWidth;
      cy.layout(layoutOptions(nodes, edges, vertical)).run();
      if (edgeLabels) placeEdgeLabels(cy);
      this.fit();
      this.signature = signature;
    }
    this.container.dataset.nodeCount = String(cy.nodes().length);
    this.container.dataset.edgeCount = String(cy.edges().length);
    this.markAlerts(this.paged);
  }

  // Workloads (node ids) with a firing page get a pulsing red ring.
  markAlerts(ids) {
    this.paged = ids;
    clearInterval(this.pulseTimer);
    const cy = this.cy;
    if (!cy) return;
    cy.batch(() => {
      cy.nodes().forEach((node) => {
        if (ids.has(node.id())) node.addClass("alert-page");
        else node.removeClass("alert-page pulse-low");
      });
    });
    const marked = cy.nodes(".alert-page");
    this.container.dataset.pagedNodes = marked.map((node) => node.id()).sort().join("\n");
    if (marked.nonempty() && !REDUCED_MOTION.matches) {
      this.pulseTimer = setInterval(() => marked.toggleClass("pulse-low"), PULSE_MS);
    }
  }

  select(id) {
    const cy = this.cy;
    if (!cy) return;
    cy.batch(() => {
      cy.elements().removeClass("faded focus");
      cy.nodes(":selected").unselect();
      if (!id) return;
      const node = cy.getElementById(id);
      if (node.empty()) return;
      node.select();
      const neighbourhood = node.closedNeighborhood();
      cy.elements().not(neighbourhood).addClass("faded");
      neighbourhood.addClass("focus");
    });
  }

  // Fit the whole graph, but never blow a three-node mesh up to giant circles.
  // The box comes from node positions and sizes, not cy.fit(): that one measures
  // every label's text, which costs a second on a 500-workload mesh.
  fit() {
    const cy = this.cy;
    if (!cy || cy.nodes().empty()) return;
    let [x1, y1, x2, y2] = [Infinity, Infinity, -Infinity, -Infinity];
    cy.nodes().forEach((node) => {
      const { x, y } = node.position();
      const half = (node.data("size") || 0) / 2;
      x1 = Math.min(x1, x - half - LABEL_SIDE);
      x2 = Math.max(x2, x + half + LABEL_SIDE);
      y1 = Math.min(y1, y - half);
      y2 = Math.max(y2, y + half + LABEL_ROOM);
    });
    const padding = cy.width() < 500 ? NARROW_FIT_PADDING : FIT_PADDING;
    const width = cy.width() - 2 * padding;
    const height = cy.height() - 2 * padding;
    if (width <= 0 || height <= 0) return;
    const zoom = Math.min(MAX_FIT_ZOOM, width / Math.max(1, x2 - x1), height / Math.max(1, y2 - y1));
    cy.viewport({
      zoom,
      pan: { x: cy.width() / 2 - zoom * (x1 + x2) / 2, y: cy.height() / 2 - zoom * (y1 + y2) / 2 },
    });
  }

  // The container changes width when the detail panel opens or closes (and the
  // window resizes): refit then, or part of the graph would sit out of view.
  resize() {
    if (!this.cy) return;
    const width = this.container.clientWidth;
    const height = this.container.clientHeight;
    this.cy.resize();
    if (width && height && (width !== this.lastWidth || height !== this.lastHeight)) this.fit();
    this.lastWidth = width;
    this.lastHeight = height;
  }
}
