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
// instant; a concentric layout (busiest in the middle) is linear.
const FORCE_LAYOUT_LIMIT = 120;
const LARGE_EDGE_COUNT = 600;
const MAX_FIT_ZOOM = 1.3;

function mtlsRing(percent) {
  if (typeof percent !== "number") return { width: 1, color: "#3a4250", style: "dotted" };
  if (percent >= MTLS_FULL) return { width: 3, color: "#5ec8f2", style: "solid" };
  if (percent > 0) return { width: 3, color: "#5ec8f2", style: "dashed" };
  return { width: 2, color: "#8a94a6", style: "dotted" };
}

function nodeElements(nodes) {
  const maxRps = Math.max(1e-9, ...nodes.map((node) => node.rps || 0));
  return nodes.map((node) => {
    const ring = mtlsRing(node.mtls_percent);
    return {
      group: "nodes",
      data: {
        id: node.id,
        label: node.name,
        namespace: node.namespace,
        status: node.status,
        rps: node.rps,
        color: STATUS_COLORS[node.status] || STATUS_COLORS.unknown,
        size: 22 + 38 * Math.sqrt((node.rps || 0) / maxRps),
        ringWidth: ring.width,
        ringColor: ring.color,
        ringStyle: ring.style,
      },
    };
  });
}

function edgeElements(edges, nodeIds) {
  const maxRps = Math.max(1e-9, ...edges.map((edge) => edge.rps || 0));
  return edges
    .filter((edge) => nodeIds.has(edge.source) && nodeIds.has(edge.target))
    .map((edge) => {
      const failing = (edge.error_rate || 0) > 1;
      return {
        group: "edges",
        data: {
          id: `${edge.source}\u2192${edge.target}`,
          source: edge.source,
          target: edge.target,
          rps: edge.rps,
          errorRate: edge.error_rate,
          label: `${fmtRps(edge.rps)} · ${fmtPct(edge.error_rate)} err`,
          color: failing ? "#e5484d" : "#5b6578",
          width: 1 + 5 * Math.sqrt((edge.rps || 0) / maxRps),
        },
      };
    });
}

function stylesheet(large) {
  return [
    {
      selector: "node",
      style: {
        "background-color": "data(color)",
        width: "data(size)",
        height: "data(size)",
        label: "data(label)",
        color: "#d7dde8",
        "font-size": 11,
        "font-family": "Inter, Segoe UI, system-ui, sans-serif",
        "text-valign": "bottom",
        "text-margin-y": 4,
        "text-outline-color": "#141922",
        "text-outline-width": 2,
        "border-width": "data(ringWidth)",
        "border-color": "data(ringColor)",
        "border-style": "data(ringStyle)",
        "min-zoomed-font-size": 7,
      },
    },
    {
      selector: "edge",
      style: {
        width: "data(width)",
        "line-color": "data(color)",
        "target-arrow-color": "data(color)",
        "target-arrow-shape": "triangle",
        "arrow-scale": 0.8,
        "curve-style": large ? "straight" : "bezier",
        // In a dense mesh the edges would bury the nodes: keep them faint until a node is selected.
        opacity: large ? 0.3 : 0.85,
        label: large ? "" : "data(label)",
        "font-size": 9,
        color: "#aab4c3",
        "text-rotation": "autorotate",
        "text-background-color": "#141922",
        "text-background-opacity": 0.85,
        "text-background-padding": 2,
        "min-zoomed-font-size": 8,
      },
    },
    { selector: "node:selected", style: { "border-width": 4, "border-color": "#ffffff", "border-style": "solid" } },
    { selector: ".faded", style: { opacity: 0.15 } },
    { selector: "edge.focus", style: { label: "data(label)", opacity: 1, "z-index": 10 } },
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
      numIter: 1500, nodeRepulsion: () => 9000, idealEdgeLength: () => 110, nodeOverlap: 8, gravity: 0.6,
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
    this.large = null;
    this.lastWidth = 0;
    this.lastHeight = 0;
    new ResizeObserver(() => this.resize()).observe(container);
  }

  create(large) {
    if (this.cy) this.cy.destroy();
    this.large = large;
    this.cy = window.cytoscape({
      container: this.container,
      style: stylesheet(large),
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
    if (!this.cy || this.large !== large) {
      this.create(large);
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
          cy.getElementById(id).data(numbers);
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
  fit() {
    const cy = this.cy;
    if (!cy || cy.elements().empty()) return;
    cy.fit(undefined, 40);
    if (cy.zoom() > MAX_FIT_ZOOM) {
      cy.zoom(MAX_FIT_ZOOM);
      cy.center();
    }
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
