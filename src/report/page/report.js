// Run report client: draws each chart of the embedded data with uPlot (inlined above). Plain
// browser JS, no network. Text from the data goes in as textContent, never as HTML.
"use strict";

(function () {
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const PALETTE = ["#2f6fde", "#e8590c", "#2f9e44", "#ae3ec9", "#c92a2a", "#1098ad", "#f08c00", "#5c7cfa", "#868e96", "#d6336c"];
  const DASHES = [[], [6, 4], [2, 3], [10, 3, 2, 3]];

  const el = (tag, attrs, ...children) => {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) n.setAttribute(k, String(v));
    for (const c of children.flat()) if (c !== null && c !== undefined) n.append(c instanceof Node ? c : String(c));
    return n;
  };
  const fmt = (v) => {
    if (v === null || v === undefined || Number.isNaN(v)) return "—";
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
    return Number.isInteger(v) ? String(v) : v.toPrecision(4);
  };

  /** Axis ticks: as many decimals as the tick spacing has (0.25 -> 2; 1000 -> 0), exponents for tiny/huge. */
  const tick = (v, incr) => {
    if (v === null || v === undefined) return "";
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e7)) return v.toExponential(1).replace(".0e", "e");
    const decimals = typeof incr === "number" && incr > 0 ? (String(+incr.toPrecision(6)).split(".")[1] || "").length : 2;
    return v.toFixed(Math.min(decimals, 6));
  };

  // ---- the runs table
  const KEY = ["genReward", "predAcc", "zeroVarFrac", "spanWords", "invalidFrac"];
  const runColor = (i) => PALETTE[i % PALETTE.length];
  const cfgBits = (c) => ["design", "backend", "seed", "steps", "passages", "genSamples", "predSamples"].filter((k) => c[k] !== undefined).map((k) => `${k}=${c[k]}`).join(" ");
  document.getElementById("runs").append(
    el(
      "table",
      { class: "runs", id: "runs-table" },
      el("thead", {}, el("tr", {}, el("th", {}, "run"), el("th", {}, "command"), el("th", {}, "steps recorded"), el("th", {}, "configuration"), ...KEY.map((k) => el("th", {}, `last ${k}`)))),
      el(
        "tbody",
        {},
        ...data.runs.map((r, i) =>
          el(
            "tr",
            { "data-run": r.label },
            el("td", { title: r.dir }, el("span", { class: "swatch", style: `background:${runColor(i)}` }), r.label),
            el("td", {}, r.command ?? "—"),
            el("td", { class: "num" }, r.steps),
            el("td", {}, el("code", {}, cfgBits(r.config)), " ", el("details", { class: "config" }, el("summary", {}, "all"), el("pre", {}, JSON.stringify(r.config, null, 2)))),
            ...KEY.map((k) => el("td", { class: "num" }, fmt(r.last[k]))),
          ),
        ),
      ),
    ),
    ...data.runs.flatMap((r) => r.warnings.map((w) => el("div", { class: "warn" }, `${r.label}: ${w}`))),
  );

  // ---- charts
  const toc = document.getElementById("toc");
  const plots = [];
  const rendered = [];

  function card(c) {
    const recorded = c.series.length > 0;
    const box = el("div", {
      class: `card${recorded ? "" : " not-recorded"}`,
      id: `chart-${c.id}`,
      "data-chart-id": c.id,
      "data-series": c.series.length,
      "data-points": c.series.reduce((n, s) => n + s.values.filter((v) => v !== null).length, 0),
      "data-recorded": recorded ? "yes" : "no",
    });
    box.append(el("h3", {}, c.title), el("p", { class: "help" }, c.help));
    toc.append(el("a", { href: `#chart-${c.id}`, class: recorded ? null : "absent" }, recorded ? c.title : `${c.title} (not recorded)`));
    if (!recorded) {
      box.append(el("div", { class: "absent" }, `not recorded — no run has ${c.expects}`));
      return box;
    }
    const plot = el("div", { class: "plot" });
    box.append(plot);
    if (c.missingIn.length) box.append(el("p", { class: "note" }, `not recorded in: ${c.missingIn.join(", ")}`));
    rendered.push({ c, plot });
    return box;
  }

  function seriesOpts(c, s) {
    const fieldIdx = [...new Set(c.series.map((x) => x.field))].indexOf(s.field);
    // Colour = run (as in the runs table) and dash = field, except where one run draws several
    // fields in a report of one run or in a chart only that run recorded: then a colour per field.
    const fields = new Set(c.series.map((x) => x.field)).size;
    const perRun = data.runs.length > 1 && (new Set(c.series.map((x) => x.run)).size > 1 || fields === 1);
    const color = perRun ? runColor(s.run) : PALETTE[fieldIdx % PALETTE.length];
    const dash = perRun ? DASHES[fieldIdx % DASHES.length] : [];
    const pts = s.values.filter((v) => v !== null).length;
    return { label: s.label, stroke: color, dash, width: 1.6, spanGaps: true, points: { show: pts <= 60, size: 4 }, value: (u, v) => fmt(v) };
  }

  function draw({ c, plot }) {
    const width = Math.max(280, plot.clientWidth || 440);
    const yScale = { auto: true };
    if (c.log) yScale.distr = 3;
    if (c.range) {
      yScale.range = (u, min, max) => [Math.min(c.range[0], min ?? c.range[0]), Math.max(c.range[1], max ?? c.range[1])];
    }
    // A log axis cannot show values <= 0.
    const values = c.series.map((s) => (c.log ? s.values.map((v) => (v !== null && v > 0 ? v : null)) : s.values));
    const opts = {
      width,
      height: 230,
      scales: { x: { time: false }, y: yScale },
      // Steps are integers: no 0.5 ticks on the x axis.
      axes: [{ label: "step", size: 36, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000] }, { size: c.log ? 64 : 60, values: (u, splits, axis, space, incr) => splits.map((v) => tick(v, incr)) }],
      series: [{ label: "step", value: (u, v) => (v === null ? "—" : String(v)) }, ...c.series.map((s) => seriesOpts(c, s))],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
    };
    const u = new uPlot(opts, [c.x, ...values], plot);
    plots.push(u);
  }

  const mainBox = document.getElementById("charts");
  const otherBox = document.getElementById("other-charts");
  for (const c of data.charts) (c.section === "main" ? mainBox : otherBox).append(card(c));
  document.getElementById("other-title").hidden = !data.charts.some((c) => c.section === "other");
  for (const r of rendered) draw(r);

  let pending = 0;
  window.addEventListener("resize", () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(() => {
      rendered.forEach((r, i) => plots[i].setSize({ width: Math.max(280, r.plot.clientWidth), height: 230 }));
    });
  });
  document.body.dataset.charts = String(plots.length);
  document.body.dataset.ready = "1";
})();
