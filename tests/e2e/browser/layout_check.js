// Evaluated by layout_check.py in the page: boxes of the checked blocks, cut to
// their scrolling ancestors, and every pair that intersects.
([selector, tolerance]) => {
  const describe = (el) => {
    const text = (el.innerText || "").trim().replace(/\s+/g, " ").slice(0, 40);
    return `${el.tagName.toLowerCase()}${el.className ? "." + String(el.className).trim().replace(/\s+/g, ".") : ""} "${text}"`;
  };
  const visibleBox = (el) => {
    const r = el.getBoundingClientRect();
    let box = { x1: r.left, y1: r.top, x2: r.right, y2: r.bottom };
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (style.overflowX === "visible" && style.overflowY === "visible") continue;
      const c = a.getBoundingClientRect();
      box = { x1: Math.max(box.x1, c.left), y1: Math.max(box.y1, c.top), x2: Math.min(box.x2, c.right), y2: Math.min(box.y2, c.bottom) };
    }
    return box;
  };
  const shown = [...document.querySelectorAll(selector)].filter((el) => el.offsetParent !== null || getComputedStyle(el).position === "fixed");
  const items = shown.map((el) => ({ el, box: visibleBox(el) }))
    .filter(({ box }) => box.x2 - box.x1 > tolerance && box.y2 - box.y1 > tolerance);
  const overlaps = [];
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const a = items[i], b = items[j];
      if (a.el.contains(b.el) || b.el.contains(a.el)) continue;
      const w = Math.min(a.box.x2, b.box.x2) - Math.max(a.box.x1, b.box.x1);
      const h = Math.min(a.box.y2, b.box.y2) - Math.max(a.box.y1, b.box.y1);
      if (w > tolerance && h > tolerance) overlaps.push(`${describe(a.el)} overlaps ${describe(b.el)} (${w.toFixed(1)} x ${h.toFixed(1)} px)`);
    }
  }
  const escapes = [];
  for (const { el, box } of items) {
    const frame = el.parentElement && el.parentElement.closest(".card, .panel");
    if (!frame) continue;
    const f = frame.getBoundingClientRect();
    if (box.x1 < f.left - tolerance || box.x2 > f.right + tolerance)
      escapes.push(`${describe(el)} crosses the side of ${describe(frame)} (${box.x1.toFixed(0)}-${box.x2.toFixed(0)} vs ${f.left.toFixed(0)}-${f.right.toFixed(0)})`);
  }
  return {
    checked: items.length,
    overlaps,
    escapes,
    scrollWidth: document.scrollingElement.scrollWidth,
    innerWidth: window.innerWidth,
  };
}
