// Graph layouts that depend on the data only: the same mesh always gets the same
// positions, on every refresh and every reload (no random start, no timing).
// Both work on plain { id, namespace, rps } nodes and { source, target } edges.

const byId = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const ORDER_SWEEPS = 4;
const VERTICAL_ROW = 4; // workloads side by side at most, top to bottom
const VERTICAL_GAP = 84;
const VERTICAL_LAYER_GAP = 110;
const WRAPPED_ROW_GAP = 80;

// Layer of each node: callers before callees. Edges that close a cycle (found by
// a depth-first walk in id order) are ignored, so the layering is well defined.
function layersOf(ids, edges) {
  const out = new Map(ids.map((id) => [id, []]));
  for (const edge of edges) if (edge.source !== edge.target) out.get(edge.source).push(edge.target);
  for (const targets of out.values()) targets.sort(byId);
  const state = new Map(); // 1: on the walk's stack, 2: done
  const order = []; // reverse post-order: a topological order of the acyclic part
  const forward = new Map(ids.map((id) => [id, []]));
  for (const root of ids) {
    if (state.has(root)) continue;
    // Iterative, so a long call chain cannot overflow the stack.
    const stack = [[root, 0]];
    state.set(root, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const targets = out.get(top[0]);
      if (top[1] < targets.length) {
        const next = targets[top[1]++];
        if (state.get(next) === 1) continue; // back edge: closes a cycle
        forward.get(top[0]).push(next);
        if (!state.has(next)) {
          state.set(next, 1);
          stack.push([next, 0]);
        }
      } else {
        state.set(top[0], 2);
        order.push(top[0]);
        stack.pop();
      }
    }
  }
  const layer = new Map(ids.map((id) => [id, 0]));
  const topological = order.reverse();
  const called = new Set();
  for (const id of topological) {
    for (const next of forward.get(id)) {
      layer.set(next, Math.max(layer.get(next), layer.get(id) + 1));
      called.add(next);
    }
  }
  // A caller nobody calls sits just before its nearest callee, not in the first
  // column: its edges stay short instead of crossing the whole drawing.
  for (const id of [...topological].reverse()) {
    const targets = forward.get(id);
    if (called.has(id) || !targets.length) continue;
    layer.set(id, Math.min(...targets.map((next) => layer.get(next))) - 1);
  }
  return layer;
}

// Order inside each layer by the mean position of the neighbours in the layer
// before (then after): fewer crossings. Ties keep the previous order, which starts as id order.
function orderLayers(columns, neighbours) {
  const place = new Map();
  const index = () => columns.forEach((column) => column.forEach((id, i) => place.set(id, i - column.length / 2)));
  index();
  const sweep = (from, to, step, side) => {
    for (let layer = from; layer !== to; layer += step) {
      const column = columns[layer];
      const key = new Map(column.map((id) => {
        const near = neighbours[side].get(id).filter((other) => place.has(other) && other !== id);
        return [id, near.length ? near.reduce((sum, other) => sum + place.get(other), 0) / near.length : place.get(id)];
      }));
      column.sort((a, b) => key.get(a) - key.get(b) || place.get(a) - place.get(b));
      column.forEach((id, i) => place.set(id, i - column.length / 2));
    }
  };
  for (let pass = 0; pass < ORDER_SWEEPS; pass++) {
    sweep(1, columns.length, 1, "in");
    sweep(columns.length - 2, -1, -1, "out");
  }
}

// Callers to the left of their callees (or above them, when the drawing area is
// taller than wide), so an edge's direction reads from its place as well as its arrow.
export function layeredPositions(nodes, edges, { vertical = false, layerGap = 180, nodeGap = 92 } = {}) {
  const ids = nodes.map((node) => node.id).sort(byId);
  const known = new Set(ids);
  const inside = edges.filter((edge) => known.has(edge.source) && known.has(edge.target));
  const layer = layersOf(ids, inside);
  const neighbours = { in: new Map(ids.map((id) => [id, []])), out: new Map(ids.map((id) => [id, []])) };
  for (const edge of inside) {
    neighbours.out.get(edge.source).push(edge.target);
    neighbours.in.get(edge.target).push(edge.source);
  }
  const columns = [];
  for (const id of ids) (columns[layer.get(id)] ||= []).push(id);
  for (let depth = 0; depth < columns.length; depth++) columns[depth] ||= [];
  orderLayers(columns, neighbours);
  // A phone's drawing is narrow: a wide layer wraps onto several staggered rows
  // rather than shrinking every label below legibility.
  const perRow = vertical ? VERTICAL_ROW : Infinity;
  const across = vertical ? VERTICAL_GAP : nodeGap;
  const positions = new Map();
  let along = 0;
  columns.forEach((column) => {
    const rows = Math.max(1, Math.ceil(column.length / perRow));
    // Zigzag: neighbours alternate rows, so the order across is kept and each
    // row still has a full gap between its labels.
    column.forEach((id, i) => {
      const offset = (i - (column.length - 1) / 2) * (across / rows);
      const depth = along + (i % rows) * WRAPPED_ROW_GAP;
      positions.set(id, vertical ? { x: offset, y: depth } : { x: depth, y: offset });
    });
    along += (rows - 1) * WRAPPED_ROW_GAP + (vertical ? VERTICAL_LAYER_GAP : layerGap);
  });
  return positions;
}

// Large meshes: one block per namespace (busiest first), workloads in a grid
// inside it, busiest first. Linear time, and it keeps a namespace together.
export function namespacePositions(nodes) {
  const groups = new Map();
  for (const node of [...nodes].sort((a, b) => byId(a.id, b.id))) {
    if (!groups.has(node.namespace)) groups.set(node.namespace, { name: node.namespace, rps: 0, members: [] });
    const group = groups.get(node.namespace);
    group.rps += node.rps || 0;
    group.members.push(node);
  }
  const ordered = [...groups.values()].sort((a, b) => b.rps - a.rps || byId(a.name, b.name));
  const spacing = 70;
  const widest = Math.max(...ordered.map((group) => Math.ceil(Math.sqrt(group.members.length))));
  const blockSize = (widest + 1) * spacing;
  const blocksPerRow = Math.max(1, Math.ceil(Math.sqrt(ordered.length * 1.6)));
  const positions = new Map();
  ordered.forEach((group, index) => {
    const originX = (index % blocksPerRow) * blockSize;
    const originY = Math.floor(index / blocksPerRow) * blockSize;
    const columns = Math.ceil(Math.sqrt(group.members.length));
    group.members.sort((a, b) => (b.rps || 0) - (a.rps || 0) || byId(a.id, b.id));
    group.members.forEach((node, position) => {
      positions.set(node.id, {
        x: originX + (position % columns) * spacing,
        y: originY + Math.floor(position / columns) * spacing,
      });
    });
  });
  return positions;
}

const overlaps = (a, b) => a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;

// Which labels can be drawn without covering a node or another label: candidates
// come in priority order ({ id, box }), the first that fits a spot keeps it.
export function freeLabels(candidates, obstacles) {
  const taken = [...obstacles];
  const kept = new Set();
  for (const { id, box } of candidates) {
    if (taken.some((other) => overlaps(box, other))) continue;
    taken.push(box);
    kept.add(id);
  }
  return kept;
}
