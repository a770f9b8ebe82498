// DOM building without HTML parsing: every string becomes a text node or an
// attribute value, so metric labels (untrusted) can never turn into markup.

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = String(value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

export function statusBadge(status) {
  const known = ["healthy", "warning", "critical", "unknown"].includes(status) ? status : "unknown";
  return el("span", { class: `badge status-${known}`, dataset: { status: known } }, known === "unknown" ? "no traffic" : known);
}
