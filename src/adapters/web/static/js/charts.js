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

export function lineChart(canvas, { labels, values, color, format, min, max }) {
  return draw(canvas, {
    type: "line",
    data: {
      labels,
      datasets: [{
        data: values,
        borderColor: color,
        backgroundColor: `${color}33`,
        fill: true,
        pointRadius: values.length > 40 ? 0 : 2,
        borderWidth: 1.5,
        tension: 0.25,
        spanGaps: false,
      }],
    },
    options: {
      scales: {
        x: { ticks: { maxTicksLimit: 4, maxRotation: 0, autoSkipPadding: 12 }, grid: { display: false } },
        y: { min, max, ticks: { maxTicksLimit: 4, callback: (value) => format(value) } },
      },
      plugins: { tooltip: { callbacks: { label: (item) => format(item.parsed.y) } } },
    },
  });
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
