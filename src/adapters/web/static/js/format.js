// Number formatting shared by the table, the detail panel and the cards.
// A missing value (null: no traffic) is shown as a dash, never as 0.

export const DASH = "–";

const isNumber = (value) => typeof value === "number" && Number.isFinite(value);

export function fmtRps(value) {
  if (!isNumber(value)) return DASH;
  const digits = value >= 100 ? 1 : value >= 1 ? 2 : 3;
  return `${value.toFixed(digits)} rps`;
}

export function fmtMs(value) {
  if (!isNumber(value)) return DASH;
  if (value >= 1000) return `${(value / 1000).toFixed(value >= 10000 ? 1 : 2)} s`;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ms`;
}

// Availability is truncated, not rounded: 99.9996 % must not read as 100 %.
export function fmtAvailability(value) {
  if (!isNumber(value)) return DASH;
  const digits = value >= 99.9 && value < 100 ? 3 : 2;
  const scale = 10 ** digits;
  // The epsilon keeps float noise (95.19999999999999 for 95.2) from truncating a digit away.
  return `${(Math.floor(value * scale + 1e-6) / scale).toFixed(digits)} %`;
}

export function fmtPct(value, digits = 2) {
  if (!isNumber(value)) return DASH;
  return `${value.toFixed(digits)} %`;
}

// Error budget remaining: below 0 the budget is overspent, which deserves words, not just a sign.
export function fmtBudget(value) {
  if (!isNumber(value)) return DASH;
  return value < 0 ? `${value.toFixed(1)} % (overspent)` : `${value.toFixed(1)} %`;
}

export function fmtCount(value) {
  if (!isNumber(value)) return DASH;
  return Math.round(value).toLocaleString("en-US");
}

function boundText(bound) {
  return bound >= 1000 ? `${bound / 1000} s` : `${bound} ms`;
}

// Histogram bar labels: "≤ 25 ms" per finite bound; the +Inf bar is "> last finite bound".
export function bucketLabels(buckets) {
  let previous = null;
  return buckets.map((bucket) => {
    const bound = Number(bucket.le);
    if (bucket.le === "+Inf" || !Number.isFinite(bound)) return previous === null ? "all" : `> ${boundText(previous)}`;
    previous = bound;
    return `≤ ${boundText(bound)}`;
  });
}

export function fmtTime(seconds, rangeSeconds) {
  const date = new Date(seconds * 1000);
  const options = rangeSeconds > 86400
    ? { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "UTC" }
    : { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "UTC" };
  return date.toLocaleString("en-GB", options);
}

export function fmtAge(seconds) {
  if (!isNumber(seconds)) return DASH;
  if (seconds < 90) return `${Math.max(0, Math.round(seconds))} s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

export const RANGE_SECONDS = { "15m": 900, "1h": 3600, "6h": 21600, "24h": 86400, "7d": 604800, "30d": 2592000 };
