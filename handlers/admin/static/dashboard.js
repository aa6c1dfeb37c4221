/* 数据看板 charts (Apache ECharts, vendored). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("dash-data").textContent);
  var palette = ["#c0392b", "#e67e22", "#f1c40f", "#27ae60", "#2980b9", "#8e44ad", "#16a085", "#7f8c8d"];
  var orders = echarts.init(document.getElementById("chart-orders"), null, { renderer: "canvas" });
  orders.setOption({
    color: palette,
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { top: 0, type: "scroll" },
    grid: { left: 40, right: 16, top: 36, bottom: 28 },
    xAxis: { type: "category", data: data.days.map(function (d) { return d.slice(5); }) },
    yAxis: { type: "value", minInterval: 1 },
    series: data.series.map(function (s) { return { name: s.name, type: "bar", stack: "all", data: s.data, barMaxWidth: 18 }; })
  });
  var boardEl = document.getElementById("chart-board");
  var board = echarts.init(boardEl, null, { renderer: "canvas" });
  var rows = data.board.slice().reverse();
  board.setOption({
    color: ["#c0392b"],
    animation: false,
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    grid: { left: 150, right: 40, top: 10, bottom: 24 },
    xAxis: { type: "value", name: "积分" },
    yAxis: { type: "category", data: rows.map(function (r) { return r.name; }) },
    series: [{ type: "bar", data: rows.map(function (r) { return r.points; }), label: { show: true, position: "right" }, barMaxWidth: 22 }]
  });
  window.addEventListener("resize", function () { orders.resize(); board.resize(); });
})();
