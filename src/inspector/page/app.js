// Episode inspector client. Plain browser JS (no build step, no network beyond this server's API).
// Everything from the log is inserted as text (textContent), never as HTML.
"use strict";

const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs, ...children) => {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") n.className = v;
    else if (k.startsWith("on")) n.addEventListener(k.slice(2), v);
    else n.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) n.append(c instanceof Node ? c : String(c));
  return n;
};
/** replaceChildren that skips null/undefined and flattens arrays (conditional parts). */
const put = (node, ...children) => node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined));
const fmt = (x, d = 3) => (typeof x === "number" ? (Number.isInteger(x) ? String(x) : x.toFixed(d)) : "—");
const api = async (path) => {
  const r = await fetch(path);
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || `${path}: HTTP ${r.status}`);
  return body;
};

const state = {
  summary: null,
  steps: [],
  list: [],
  total: 0,
  pos: -1,
  episode: null,
  filter: { step: "", role: "any", min: "", max: "", invalid: false, passage: "" },
};

// ---------------------------------------------------------------------------------------------
// Filters and the episode list

function filterQuery() {
  const f = state.filter;
  const q = new URLSearchParams();
  if (f.step !== "") q.set("step", f.step);
  if (f.role !== "any") q.set("role", f.role);
  if (f.min !== "") q.set("min", f.min);
  if (f.max !== "") q.set("max", f.max);
  if (f.invalid) q.set("invalid", "1");
  if (f.passage) q.set("passage", f.passage);
  return q;
}

function readFilterInputs() {
  state.filter.step = $("#f-step").value;
  state.filter.role = $("#f-role").value;
  state.filter.min = $("#f-min").value.trim();
  state.filter.max = $("#f-max").value.trim();
  state.filter.invalid = $("#f-invalid").checked;
}

function writeFilterInputs() {
  const f = state.filter;
  $("#f-step").value = f.step;
  $("#f-role").value = f.role;
  $("#f-min").value = f.min;
  $("#f-max").value = f.max;
  $("#f-invalid").checked = f.invalid;
  $("#f-passage-row").hidden = !f.passage;
  $("#f-passage").textContent = f.passage;
}

async function loadList(keepId) {
  const q = filterQuery();
  const res = await api(`/api/episodes?${q}`);
  state.list = res.episodes;
  state.total = res.total;
  const list = $("#episode-list");
  put(list, 
    ...res.episodes.map((e, i) =>
      el(
        "li",
        { "data-id": e.id, "data-step": e.step, onclick: () => show(i) },
        el("span", { class: "id" }, e.id),
        el("span", { class: "nums" }, `gen ${fmt(e.genReward, 2)} · acc ${fmt(e.predAcc, 2)}`),
        el("span", { class: "span" }, e.invalid ? `invalid: ${e.invalid}` : `“${e.span}”`),
      ),
    ),
  );
  $("#list-count").textContent = `${res.total} episode${res.total === 1 ? "" : "s"} match${res.total === 1 ? "es" : ""}`;
  const at = keepId ? state.list.findIndex((e) => e.id === keepId.id && e.step === keepId.step) : -1;
  if (state.list.length === 0) return showNone();
  await show(at >= 0 ? at : 0);
}

function showNone() {
  state.pos = -1;
  state.episode = null;
  $("#episode").hidden = true;
  $("#empty").hidden = false;
  $("#empty").textContent = "No episode matches the filters.";
  $("#position").textContent = "0 / 0";
  $("#detail").dataset.episodeId = "";
  document.body.dataset.ready = "1";
}

async function show(i) {
  if (i < 0 || i >= state.list.length) return;
  state.pos = i;
  const s = state.list[i];
  const res = await api(`/api/episode?id=${encodeURIComponent(s.id)}&step=${s.step}`);
  state.episode = res.episode;
  renderEpisode(res.episode, res.siblings);
  for (const li of $("#episode-list").children) li.classList.toggle("current", li.dataset.id === s.id && li.dataset.step === String(s.step));
  $("#episode-list").children[i]?.scrollIntoView({ block: "nearest" });
  $("#position").textContent = `${i + 1} / ${state.list.length}`;
  history.replaceState(null, "", `#step=${s.step}&ep=${encodeURIComponent(s.id)}`);
}

// ---------------------------------------------------------------------------------------------
// One episode

function highlighted(text, ranges) {
  const out = [];
  let at = 0;
  for (const [a, b] of ranges) {
    if (a > at) out.push(text.slice(at, a));
    out.push(el("mark", { class: "span" }, text.slice(a, b)));
    at = b;
  }
  out.push(text.slice(at));
  return out;
}

function withMaskTokens(text) {
  const parts = text.split("[mask]");
  const out = [];
  parts.forEach((p, i) => {
    if (i > 0) out.push(el("span", { class: "masktok" }, "[mask]"));
    out.push(p);
  });
  return out;
}

function advBar(a) {
  if (typeof a !== "number") return el("div", { class: "bar" });
  const w = Math.min(50, Math.abs(a) * 25); // ±2 std fills the half
  return el("div", { class: "bar", title: fmt(a) }, el("span", { class: a >= 0 ? "pos" : "neg", style: `width:${w}%` }));
}

function groupNote(outcome, role) {
  if (!outcome) return role === "predictor" ? "No predictor group: the mask was invalid, so nothing was predicted." : "Not scored.";
  const bits = [];
  if (outcome.zeroVariance) bits.push("all rewards equal: zero variance, every advantage is 0");
  bits.push(outcome.trained ? "trained on by the learner" : "not trained on (dropped by dynamic sampling, or this role is not trained under the design)");
  return bits.join("; ") + ".";
}

function renderEpisode(e, siblings) {
  $("#empty").hidden = true;
  $("#episode").hidden = false;
  $("#detail").dataset.episodeId = e.id;
  $("#detail").dataset.step = String(e.step);
  put($("#ep-title"), 
    `Episode ${e.id}`,
    e.invalid ? el("span", { class: "badge bad" }, `invalid: ${e.invalid}`) : null,
    e.generator && !e.generator.trained ? el("span", { class: "badge warn" }, "generator group not trained") : null,
  );
  $("#ep-title").dataset.id = e.id;
  const spanKind = (f) =>
    [f.stopWords ? "function words only" : "content", f.cutsWord ? "cuts a word" : "whole words", f.occurrences === 1 ? "occurs once" : `occurs ${f.occurrences}×`, `${f.chars} chars`].join(", ");
  const meta = [
    ["step", e.step],
    ["policy version", e.version ?? "—"],
    ["passage", e.passageKey],
    ["rollout", `${e.index + 1} of ${siblings.length}`],
    ["span", e.span === null ? "(none)" : `“${e.span}”`],
    ["span words", e.spanWords ?? "—"],
    ["span kind", e.spanFacts ? spanKind(e.spanFacts) : "—"],
    ["generator reward", fmt(e.generator?.reward)],
    ["generator advantage", fmt(e.generator?.advantage)],
    ["predictor accuracy", fmt(e.predictor?.acc)],
  ];
  put($("#ep-meta"), ...meta.map(([k, v]) => el("div", { "data-key": k }, el("dt", {}, k), el("dd", {}, String(v)))));

  put($("#ep-passage"), ...(e.passage === null ? ["(passage not recorded)"] : highlighted(e.passage, e.highlights)));
  put($("#ep-masked"), ...(e.masked === null ? [el("span", { class: "muted" }, e.invalid ? `(no masked passage: the mask was invalid — ${e.invalid})` : "(not recorded)")] : withMaskTokens(e.masked)));
  $("#ep-gen-completion").textContent = e.generatorCompletion ?? "(not recorded)";

  $("#gen-group-note").textContent = groupNote(e.generator, "generator");
  put($("#gen-group tbody"), 
    ...siblings.map((s) =>
      el(
        "tr",
        {
          class: `clickable${s.id === e.id ? " current" : ""}`,
          "data-id": s.id,
          "data-reward": s.genReward ?? "",
          "data-advantage": s.genAdvantage ?? "",
          onclick: () => openEpisode(s.step, s.id),
        },
        el("td", { class: "num" }, s.index),
        el("td", {}, s.invalid ? el("span", { class: "no" }, `invalid: ${s.invalid}`) : `“${s.span}”`),
        el("td", { class: "num" }, fmt(s.genReward)),
        el("td", { class: "num" }, fmt(s.genAdvantage)),
        el("td", {}, advBar(s.genAdvantage)),
      ),
    ),
  );

  $("#pred-group-note").textContent = groupNote(e.predictor, "predictor");
  put($("#ep-predictions tbody"), 
    ...e.predictions.map((p) =>
      el(
        "tr",
        { "data-index": p.index, "data-reward": p.reward ?? "", "data-advantage": p.advantage ?? "" },
        el("td", { class: "num" }, p.index),
        el("td", { class: "answer" }, p.answer === null ? el("span", { class: "muted" }, "(no \\boxed{})") : p.answer),
        el("td", { class: `num ${p.reward === 1 ? "ok" : p.reward === 0 ? "no" : ""}` }, fmt(p.reward)),
        el("td", { class: "num" }, fmt(p.advantage)),
        el("td", {}, advBar(p.advantage)),
        el("td", {}, el("details", {}, el("summary", {}, "show"), el("pre", {}, p.completion))),
      ),
    ),
  );
  document.body.dataset.ready = "1";
}

/** Opens an episode by id, widening the filters when it is not in the current list. */
async function openEpisode(step, id) {
  let i = state.list.findIndex((e) => e.id === id && e.step === step);
  if (i < 0) {
    state.filter = { step: String(step), role: "any", min: "", max: "", invalid: false, passage: "" };
    writeFilterInputs();
    await loadList({ id, step });
    return;
  }
  await show(i);
}

// ---------------------------------------------------------------------------------------------
// Divergence

function renderDivergence(d, fromServer) {
  const body = $("#divergence-body");
  const v = d.divergence;
  const key = String(v.id).split("|").slice(3).join("|");
  const kinds = { different: "the replayed message differs", missing: "the replayed actor never sent it", unexpected: "the recording does not have it" };
  const changed = state.summary && fromServer && d.logBytes !== undefined && d.logBytes !== state.summary.bytes;
  put(body, 
    el("dl", { class: "grid", id: "divergence-meta" },
      ...[
        ["step", v.step],
        ["kind", `${v.kind}: ${kinds[v.kind] || ""}`],
        ["message type", v.type],
        ["message id", v.id],
        ["recorded record", v.recordedSeq ?? "—"],
        ["replayed actor", d.actor],
        ["design", d.design === d.recordedDesign ? (d.design ?? "—") : `${d.design} (recorded: ${d.recordedDesign})`],
      ].map(([k, x]) => el("div", { "data-key": k }, el("dt", {}, k), el("dd", {}, String(x))))),
    changed ? el("p", { class: "badge warn" }, "the log has changed since this replay") : null,
    el("p", {}, d.summary ? d.summary.split("\n")[0] : ""),
    el("table", { class: "data diff", id: "divergence-diff" },
      el("thead", {}, el("tr", {}, el("th", {}, "path"), el("th", {}, "recorded"), el("th", {}, "replayed"))),
      el("tbody", {}, ...v.diff.map((l) => el("tr", {}, el("td", {}, l.path), el("td", {}, l.recorded), el("td", {}, l.replayed))))),
    v.diff.length === 0 ? el("p", { class: "muted" }, "No field diff: the message is missing on one side.") : null,
    el("p", {},
      el("button", { id: "divergence-episodes", onclick: () => gotoDivergence(v.step, key) }, `Episodes of step ${v.step}${key ? ` (${key})` : ""}`),
      " ",
      v.recordedSeq !== undefined && fromServer ? el("button", { id: "divergence-record", onclick: () => showRecord(v.recordedSeq) }, `Recorded message #${v.recordedSeq}`) : null),
    el("pre", { id: "divergence-record-body", hidden: true }),
  );
  const tab = $("#tab-divergence");
  put(tab, "Divergence", el("span", { class: "count" }, `step ${v.step}`));
}

async function gotoDivergence(step, key) {
  // The key is a passage ("s3/p2") or a mask ("s3/p2/g5") for most message types; filter by it when it names a passage.
  const passage = /\/g\d+$/.test(key) ? key.replace(/\/g\d+$/, "") : key;
  const probe = await api(`/api/episodes?step=${step}&passage=${encodeURIComponent(passage)}&limit=1`);
  state.filter = { step: String(step), role: "any", min: "", max: "", invalid: false, passage: probe.total > 0 ? passage : "" };
  writeFilterInputs();
  selectTab("episodes");
  const maskHit = /\/g\d+$/.test(key) ? { id: key, step } : undefined;
  await loadList(maskHit);
}

async function showRecord(seq) {
  const pre = $("#divergence-record-body");
  pre.hidden = false;
  pre.textContent = "loading…";
  try {
    pre.textContent = JSON.stringify(await api(`/api/record?seq=${seq}`), null, 2);
  } catch (err) {
    pre.textContent = String(err.message || err);
  }
}

// ---------------------------------------------------------------------------------------------
// Absolute Zero (reserved): program, input, output and verdict of any non-PretrainZero message

function renderGeneric(items) {
  const body = $("#az-body");
  if (items.length === 0) {
    put(body, el("p", { id: "az-empty", class: "muted" }, "No Absolute Zero messages in this log. Once the Absolute Zero protocol records them, each task appears here with its program, input, output and the executor's verdict."));
    return;
  }
  put($("#tab-az"), "Absolute Zero", el("span", { class: "count" }, String(items.length)));
  const show = (x) => (typeof x === "string" ? x : JSON.stringify(x, null, 2));
  put(body, 
    ...items.map((it) =>
      el("div", { class: "az-card", "data-seq": it.seq },
        el("h4", {}, `${it.type} · step ${it.step} · ${it.from} → ${it.to}`, el("span", { class: "muted" }, `  ${it.id}`)),
        it.program !== null ? [el("h5", {}, "program"), el("pre", { class: "az-program" }, it.program)] : null,
        it.input !== null ? [el("h5", {}, "input"), el("pre", { class: "az-input" }, show(it.input))] : null,
        it.output !== null ? [el("h5", {}, "output"), el("pre", { class: "az-output" }, show(it.output))] : null,
        it.verdict !== null ? el("p", {}, "verdict: ", el("span", { class: "verdict az-verdict" }, show(it.verdict))) : null,
        Object.keys(it.fields).length ? el("details", {}, el("summary", {}, "other fields"), el("pre", {}, JSON.stringify(it.fields, null, 2))) : null,
      ),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Wiring

function selectTab(name) {
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("active", b.dataset.tab === name);
  for (const v of document.querySelectorAll(".view")) v.hidden = v.id !== `view-${name}`;
}

async function main() {
  const [summary, steps] = await Promise.all([api("/api/summary"), api("/api/steps")]);
  state.summary = summary;
  state.steps = steps;
  const cfg = summary.config || {};
  $("#run-info").textContent = `${summary.log} · written by '${summary.command}'${cfg.design ? ` · design ${cfg.design}` : ""} · ${summary.records} records · ${summary.steps} steps · ${summary.episodes} episodes`;
  $("#f-step").append(
    ...steps.map((s) => el("option", { value: s.step }, `step ${s.step} — gen ${fmt(s.meanGenReward, 2)}, acc ${fmt(s.meanPredAcc, 2)}${s.spans && s.spans.spanCount ? `, spans: ${fmt(s.spans.spanStopFrac, 2)} function words, ${fmt(s.spans.spanCutFrac, 2)} cut a word` : ""}`)),
  );

  for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => selectTab(b.dataset.tab));
  $("#filters").addEventListener("change", () => {
    readFilterInputs();
    loadList();
  });
  $("#filters").addEventListener("submit", (ev) => ev.preventDefault());
  $("#f-clear").addEventListener("click", () => {
    state.filter = { step: "", role: "any", min: "", max: "", invalid: false, passage: "" };
    writeFilterInputs();
    loadList();
  });
  $("#f-passage-clear").addEventListener("click", () => {
    state.filter.passage = "";
    writeFilterInputs();
    loadList();
  });
  $("#prev").addEventListener("click", () => show(state.pos - 1));
  $("#next").addEventListener("click", () => show(state.pos + 1));
  document.addEventListener("keydown", (ev) => {
    if (ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement) return;
    if (ev.key === "ArrowRight" || ev.key === "j") show(state.pos + 1);
    if (ev.key === "ArrowLeft" || ev.key === "k") show(state.pos - 1);
  });
  $("#divergence-file").addEventListener("change", async (ev) => {
    const file = ev.target.files[0];
    if (!file) return;
    try {
      const d = JSON.parse(await file.text());
      if (!d || !d.divergence || !Array.isArray(d.divergence.diff)) throw new Error("not a divergence file written by replay --verify");
      renderDivergence(d, d.log === state.summary.log);
    } catch (err) {
      put($("#divergence-body"), el("p", { class: "no" }, `${file.name}: ${err.message}`));
    }
  });

  if (summary.divergence) renderDivergence(await api("/api/divergence"), true);
  renderGeneric(await api("/api/generic"));

  // Deep link: #step=3&ep=s3/p2/g5
  const h = new URLSearchParams(location.hash.slice(1));
  const ep = h.get("ep");
  if (ep && h.get("step") !== null) {
    state.filter.step = h.get("step");
    writeFilterInputs();
    await loadList({ id: ep, step: Number(h.get("step")) });
  } else {
    await loadList();
  }
}

main().catch((err) => {
  document.body.dataset.error = String(err.message || err);
  $("#run-info").textContent = `error: ${err.message || err}`;
});
