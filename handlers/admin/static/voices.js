/* 民情分析: the hot-word bar chart and the monthly trend (data from the page, no fetch). */
(function () {
  "use strict";
  var el = document.getElementById("analysis-data");
  if (!el || !window.echarts) return;
  var data = JSON.parse(el.textContent);
  var words = echarts.init(document.getElementById("chart-words"), null, { renderer: "canvas" });
  var top = data.words.slice().reverse();
  words.setOption({
    grid: { left: 80, right: 20, top: 10, bottom: 20 },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", data: top.map(function (w) { return w.word; }) },
    series: [{ type: "bar", data: top.map(function (w) { return w.count; }), itemStyle: { color: "#c8102e" } }]
  });
  var trend = echarts.init(document.getElementById("chart-trend"), null, { renderer: "canvas" });
  trend.setOption({
    tooltip: { trigger: "axis" },
    legend: { data: ["民意总数", "已办结"] },
    xAxis: { type: "category", data: data.trend.map(function (t) { return t.month; }) },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: "民意总数", type: "bar", data: data.trend.map(function (t) { return t.total; }), itemStyle: { color: "#c8102e" } },
      { name: "已办结", type: "line", data: data.trend.map(function (t) { return t.closed; }) }
    ]
  });
  window.addEventListener("resize", function () { words.resize(); trend.resize(); });
})();
