// Draws the dashboard's charts from the tables beside them (the tables hold the numbers,
// for screen readers and for anyone without JavaScript): each <figure data-chart> has a
// canvas and a table whose rows are the labels (th) and the values (td[data-value]).
// Charts are drawn again whenever htmx swaps the dashboard after a filter change.
(function () {
  "use strict";

  function draw(figure) {
    var canvas = figure.querySelector("canvas");
    var rows = figure.querySelectorAll("tbody tr");
    if (!canvas || !window.Chart) return;
    var old = window.Chart.getChart(canvas);
    if (old) old.destroy();
    var labels = [], values = [];
    rows.forEach(function (row) {
      var head = row.querySelector("th");
      var cell = row.querySelector("td[data-value]");
      if (!head || !cell) return;
      labels.push(head.textContent.trim());
      values.push(Number(cell.getAttribute("data-value")));
    });
    new window.Chart(canvas, {
      type: figure.getAttribute("data-chart") === "line" ? "line" : "bar",
      data: {
        labels: labels,
        datasets: [{
          label: figure.getAttribute("data-label") || "",
          data: values,
          borderColor: "#0b5cad",
          backgroundColor: "rgba(11, 92, 173, 0.35)",
          fill: false,
          tension: 0.2
        }]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true } }
      }
    });
  }

  function drawAll() {
    document.querySelectorAll("#dashboard figure[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSettle", drawAll);
})();
