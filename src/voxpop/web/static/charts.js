// Dashboard charts: every <canvas class="chart" data-chart="{json}"> becomes a Chart.js chart.
// The data comes in a data attribute (no inline script, CSP-safe). Clicking a bar or a point opens the
// inbox with the items behind it (data.links[i]); only links into this site are followed.
(function () {
  "use strict";

  var COLORS = ["#4263eb", "#e8590c", "#2b8a3e", "#ae3ec9", "#1098ad"];
  var AXES = {
    count: { position: "left", beginAtZero: true, title: "items" },
    index: { position: "right", min: -100, max: 100, title: "sentiment index" },
    stars: { position: "right", min: 1, max: 5, title: "stars" },
  };

  function safeLink(link) {
    return typeof link === "string" && link.charAt(0) === "/" && link.charAt(1) !== "/" ? link : null;
  }

  // Dashed vertical lines at the change points (label indices in spec.marks).
  var changeMarks = {
    id: "voxpopChangeMarks",
    afterDatasetsDraw: function (chart, args, options) {
      var marks = options.marks || [];
      if (!marks.length) return;
      var x = chart.scales.x;
      var area = chart.chartArea;
      var ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = "#c92a2a";
      ctx.lineWidth = 1.5;
      ctx.setLineDash([5, 4]);
      marks.forEach(function (index) {
        var px = x.getPixelForValue(index);
        ctx.beginPath();
        ctx.moveTo(px, area.top);
        ctx.lineTo(px, area.bottom);
        ctx.stroke();
      });
      ctx.restore();
    },
  };

  function build(canvas) {
    var spec;
    try {
      spec = JSON.parse(canvas.getAttribute("data-chart"));
    } catch (err) {
      return;
    }
    var scales = {};
    var datasets = spec.series.map(function (s, i) {
      if (!scales[s.axis]) {
        var axis = AXES[s.axis] || { position: "left" };
        scales[s.axis] = {
          type: "linear",
          position: axis.position,
          beginAtZero: axis.beginAtZero === true,
          min: axis.min,
          max: axis.max,
          grid: { drawOnChartArea: Object.keys(scales).length === 0 },
          title: { display: true, text: axis.title || s.axis },
        };
      }
      return {
        type: s.kind === "line" ? "line" : "bar",
        label: s.label,
        data: s.data,
        yAxisID: s.axis,
        borderColor: COLORS[i % COLORS.length],
        backgroundColor: s.kind === "line" ? COLORS[i % COLORS.length] : "rgba(66, 99, 235, 0.35)",
        spanGaps: true,
        tension: 0.25,
        pointRadius: 2,
        order: s.kind === "line" ? 0 : 1,
      };
    });
    // eslint-disable-next-line no-undef
    var chart = new Chart(canvas, {
      plugins: [changeMarks],
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: scales,
        plugins: { legend: { position: "bottom" }, voxpopChangeMarks: { marks: spec.marks || [] } },
        onClick: function (event, elements) {
          if (!elements.length || !spec.links) return;
          var link = safeLink(spec.links[elements[0].index]);
          if (link) window.location.assign(link);
        },
        onHover: function (event, elements) {
          event.native.target.style.cursor = elements.length ? "pointer" : "default";
        },
      },
    });
    canvas.voxpopChart = chart;
  }

  function start() {
    if (typeof Chart === "undefined") return;
    document.querySelectorAll("canvas.chart[data-chart]").forEach(build);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
