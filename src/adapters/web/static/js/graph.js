// The service call graph, drawn by cytoscape on a canvas: labels are canvas
// text, never HTML. Positions survive refreshes; the layout only runs again
// when workloads appear or disappear.

import { fmtPct, fmtRps } from "./format.js";

export const STATUS_COLORS = {
  healthy: "#2fb67c",
  warning: "#e9a23b",
  critical: "#e5484d",
  unknown: "#6b7585",
};

const MTLS_FULL = 99.5;
// Above this many workloads the force-directed layout is too slow to feel
// instant; namespace blocks (see namespacePositions) take linear time.
const FORCE_LAYOUT_LIMIT = 120;
const LARGE_EDGE_COUNT = 600;
const EDGE_LABEL_LIMIT = 60;
const MAX_FIT_ZOOM = 1.3;
const FIT_PADDING = 30;
const LABEL_ROOM = 18; // node labels hang below the node

// Colours and rings are classes, not per-element data mappings: cytoscape then
// shares one computed style between many elements, which matters at 500 nodes.
function mtlsClass(percent) {
  if (typeof percent !== "number") return "mtls-unknown";
  if (percent >= MTLS_FULL) return "mtls-full";
  return percent > 0 ? "mtls-partial" : "mtls-none";
}

const STATUSES = Object.keys(STATUS_COLORS);

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

function stylesheet(large, edgeLabels) {
  return [
    {
      selector: "node",
      style: {
        width: "data(size)",
        height: "data(size)",
        label: "data(label)",
        color: "#d7dde8",
        "font-size": 12,
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
        "line-color": "#5b6578",
        "target-arrow-color": "#5b6578",
        "target-arrow-shape": "triangle",
        "arrow-scale": 0.8,
        // Haystack edges are cytoscape's cheapest (no arrows); a selected node's edges get them back.
        "curve-style": large ? "haystack" : "bezier",
        "haystack-radius": 0,
        // In a dense mesh the edges would bury the nodes: keep them faint until a node is selected.
        opacity: large ? 0.3 : 0.85,
        label: edgeLabels ? "data(label)" : "",
        "font-size": 10,
        color: "#c4ccd8",
        "text-rotation": "autorotate",
        "text-background-color": "#141922",
        "text-background-opacity": 0.85,
        "text-background-padding": 2,
        "min-zoomed-font-size": 8,
      },
    },
    ...statusStyles(),
    { selector: "node.mtls-full", style: { "border-width": 3, "border-color": "#5ec8f2", "border-style": "solid" } },
    { selector: "node.mtls-partial", style: { "border-width": 3, "border-color": "#5ec8f2", "border-style": "dashed" } },
    { selector: "node.mtls-none", style: { "border-width": 2, "border-color": "#8a94a6", "border-style": "dotted" } },
    { selector: "node.mtls-unknown", style: { "border-width": 1, "border-color": "#3a4250", "border-style": "dotted" } },
    { selector: "edge.failing", style: { "line-color": "#e5484d", "target-arrow-color": "#e5484d" } },
    { selector: "node:selected", style: { "border-width": 4, "border-color": "#ffffff", "border-style": "solid" } },
    { selector: ".faded", style: { opacity: 0.15 } },
    { selector: "edge.faded", style: { label: "" } },
    {
      selector: "edge.focus",
      style: { label: "data(label)", opacity: 1, "z-index": 10, "curve-style": large ? "straight" : "bezier" },
    },
  ];
}

// Large meshes: one block per namespace (busiest first), workloads in a grid
// inside it, busiest first. Linear time, stable, and it keeps a namespace together.
function namespacePositions(nodes) {
  const groups = new Map();
  for (const node of nodes) {
    const namespace = node.data("namespace");
    if (!groups.has(namespace)) groups.set(namespace, { rps: 0, members: [] });
    const group = groups.get(namespace);
    group.rps += node.data("rps") || 0;
    group.members.push(node);
  }
  const ordered = [...groups.values()].sort((a, b) => b.rps - a.rps);
  const spacing = 70;
  const widest = Math.max(...ordered.map((group) => Math.ceil(Math.sqrt(group.members.length))));
  const blockSize = (widest + 1) * spacing;
  const blocksPerRow = Math.max(1, Math.ceil(Math.sqrt(ordered.length * 1.6)));
  const positions = new Map();
  ordered.forEach((group, index) => {
    const originX = (index % blocksPerRow) * blockSize;
    const originY = Math.floor(index / blocksPerRow) * blockSize;
    const columns = Math.ceil(Math.sqrt(group.members.length));
    group.members.sort((a, b) => (b.data("rps") || 0) - (a.data("rps") || 0));
    group.members.forEach((node, position) => {
      positions.set(node.id(), {
        x: originX + (position % columns) * spacing,
        y: originY + Math.floor(position / columns) * spacing,
      });
    });
  });
  return positions;
}

function layoutOptions(cy) {
  if (cy.nodes().length <= FORCE_LAYOUT_LIMIT) {
    return {
      name: "cose", animate: false, randomize: true, fit: false,
      // Fewer iterations for medium meshes keep the layout under a few hundred ms.
      numIter: cy.nodes().length > 60 ? 600 : 1500, nodeRepulsion: () => 7000, idealEdgeLength: () => 80, nodeOverlap: 8, gravity: 0.8,
    };
  }
  const positions = namespacePositions(cy.nodes());
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
  }

  render(nodes, edges) {
    const large = nodes.length > FORCE_LAYOUT_LIMIT || edges.length > LARGE_EDGE_COUNT;
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
          existing.classes([...element.classes.split(" ").filter(Boolean), ...existing.classes().filter((c) => c === "faded" || c === "focus")]);
        }
      });
    } else {
      cy.batch(() => {
        cy.elements().remove();
        cy.add(elements);
      });
      cy.layout(layoutOptions(cy)).run();
      this.fit();
      this.signature = signature;
    }
    this.container.dataset.nodeCount = String(cy.nodes().length);
    this.container.dataset.edgeCount = String(cy.edges().length);
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
      neighbourhood.edges().addClass("focus");
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
      x1 = Math.min(x1, x - half);
      x2 = Math.max(x2, x + half);
      y1 = Math.min(y1, y - half);
      y2 = Math.max(y2, y + half + LABEL_ROOM);
    });
    const width = cy.width() - 2 * FIT_PADDING;
    const height = cy.height() - 2 * FIT_PADDING;
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
