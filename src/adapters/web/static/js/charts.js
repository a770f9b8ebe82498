// Small Chart.js wrappers. Animation is off: refreshes redraw instantly and a
// dashboard with dozens of charts stays cheap.

const THEME = {
  text: "#aab4c3",
  grid: "rgba(170, 180, 195, 0.12)",
  font: "12px Inter, 'Segoe UI', system-ui, sans-serif",
};

function applyDefaults() {
  const Chart = window.Chart;
  if (!Chart || Chart.__meshsloDefaults) return;
  Chart.defaults.color = THEME.text;
  Chart.defaults.borderColor = THEME.grid;
  Chart.defaults.font.family = "Inter, 'Segoe UI', system-ui, sans-serif";
  Chart.defaults.font.size = 11;
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.legend.display = false;
  Chart.__meshsloDefaults = true;
}

const live = new WeakMap();

function draw(canvas, config) {
  applyDefaults();
  const previous = live.get(canvas);
  if (previous) previous.destroy();
  const chart = new window.Chart(canvas, config);
  live.set(canvas, chart);
  return chart;
}

const missing = (value) => typeof value !== "number" || !Number.isFinite(value);
const NO_DATA = "no data";

// Says under a chart's title that its gaps are time without snapshots, not zero.
function noteGaps(canvas, gaps) {
  const caption = canvas.closest("figure")?.querySelector("figcaption");
  if (!caption) return;
  caption.querySelector(".gap-note")?.remove();
  if (gaps) caption.append(Object.assign(document.createElement("span"), { className: "gap-note", textContent: ` · gaps: ${NO_DATA}` }));
}

function lineDataset(values, color, label = undefined) {
  const data = values.map((value) => (missing(value) ? null : value));
  const dense = data.length > 40;
  // A lone point between two gaps has no line to show it: give it a dot.
  const radius = (context) => {
    const i = context.dataIndex;
    if (data[i] !== null && missing(data[i - 1]) && missing(data[i + 1])) return 2.5;
    return dense ? 0 : 2;
  };
  return {
    label,
    data,
    borderColor: color,
    backgroundColor: `${color}33`,
    fill: label === undefined,
    pointRadius: radius,
    borderWidth: 1.5,
    tension: 0.25,
    spanGaps: false,
  };
}

function lineOptions({ format, min, max, legend = false }) {
  return {
    interaction: { mode: "index", intersect: false },
    scales: {
      x: { ticks: { maxTicksLimit: 4, maxRotation: 0, autoSkipPadding: 12 }, grid: { display: false } },
      y: { min, max, ticks: { maxTicksLimit: 4, callback: (value) => format(value) } },
    },
    plugins: {
      legend: { display: legend, labels: { boxWidth: 10, boxHeight: 2 } },
      tooltip: { callbacks: { label: (item) => `${item.dataset?.label ? `${item.dataset.label}: ` : ""}${missing(item.raw) ? NO_DATA : format(item.parsed.y)}` } },
    },
  };
}

// A point without a snapshot is null: the line breaks there (spanGaps false)
// instead of diving to 0, and its tooltip says "no data".
export function lineChart(canvas, { labels, values, color, format, min, max }) {
  const dataset = lineDataset(values, color);
  noteGaps(canvas, dataset.data.some((value) => value === null));
  return draw(canvas, { type: "line", data: { labels, datasets: [dataset] }, options: lineOptions({ format, min, max }) });
}

// Several lines over one time axis, with a legend: `series` is [{ label, values, color }].
export function multiLineChart(canvas, { labels, series, format, min, max }) {
  const datasets = series.map((line) => lineDataset(line.values, line.color, line.label));
  return draw(canvas, { type: "line", data: { labels, datasets }, options: lineOptions({ format, min, max, legend: series.length > 1 }) });
}

export function barChart(canvas, { labels, values, colors, format, horizontal = false }) {
  return draw(canvas, {
    type: "bar",
    data: { labels, datasets: [{ data: values, backgroundColor: colors, borderRadius: 2, maxBarThickness: 36 }] },
    options: {
      indexAxis: horizontal ? "y" : "x",
      scales: {
        x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true } },
        y: { beginAtZero: true, ticks: { maxTicksLimit: 4, precision: 0 } },
      },
      plugins: { tooltip: { callbacks: { label: (item) => format(item.parsed[horizontal ? "x" : "y"]) } } },
    },
  });
}
