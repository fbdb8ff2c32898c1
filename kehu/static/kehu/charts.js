// Draws every <div data-chart="ID"> from the ECharts option in <script id="ID"
// type="application/json"> (Django's json_script). A chart with data-href="/list/?tier={name}"
// opens the list behind the clicked point.
(function () {
  function draw(root) {
    root.querySelectorAll("[data-chart]").forEach((el) => {
      if (el.dataset.drawn) return;
      const option = JSON.parse(document.getElementById(el.dataset.chart).textContent);
      const chart = echarts.init(el);
      chart.setOption(option);
      if (el.dataset.href) {
        chart.on("click", (p) => {
          window.location = el.dataset.href
            .replace("{name}", encodeURIComponent(p.name))
            .replace("{series}", encodeURIComponent(p.seriesName || ""));
        });
      }
      el.dataset.drawn = "1";
      window.addEventListener("resize", () => chart.resize());
    });
  }
  document.addEventListener("DOMContentLoaded", () => draw(document));
  document.addEventListener("htmx:afterSwap", (event) => draw(event.target));
})();
