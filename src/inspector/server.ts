// The episode inspector's HTTP server: one self-contained page and a small JSON API over an
// EpisodeIndex held in memory. Binds 127.0.0.1 by default: episode logs are private data.
//
// API (all GET, JSON):
//   /api/summary                      the log, its run configuration, counts, divergence present?
//   /api/steps                        StepSummary[]
//   /api/episodes?step&role&min&max&invalid&passage&offset&limit
//                                     {total, offset, episodes: EpisodeSummary[]} (filtered)
//   /api/episode?id[&step]            {episode, siblings} (siblings: the generator group)
//   /api/divergence                   the divergence file (404 when there is none)
//   /api/record?seq                   one raw record of the log, JSON-safe
//   /api/generic                      Absolute Zero / unknown messages, generic form

import { EpisodeLogReader } from "../protocol/log.ts";
import type { DivergenceFile } from "./divergence.ts";
import { jsonSafe, matchesFilter, summarize, type Episode, type EpisodeFilter, type EpisodeIndex } from "./episodes.ts";
import { inspectorPage } from "./page.ts";

export interface InspectorOptions {
  index: EpisodeIndex;
  logPath: string;
  /** The run folder the log belongs to, when opened through one. */
  runDir?: string;
  divergence?: { path: string; data: DivergenceFile } | null;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
}

export interface Inspector {
  url: string;
  port: number;
  stop(): Promise<void>;
}

class BadRequest extends Error {}

function json(data: unknown, status = 200): Response {
  return new Response(JSON.stringify(data), { status, headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" } });
}

function intParam(q: URLSearchParams, name: string, min = 0): number | undefined {
  const raw = q.get(name);
  if (raw === null || raw === "") return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new BadRequest(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function numParam(q: URLSearchParams, name: string): number | undefined {
  const raw = q.get(name);
  if (raw === null || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new BadRequest(`${name} must be a number, got ${JSON.stringify(raw)}`);
  return n;
}

/** Parses the episode filter of /api/episodes. */
export function filterFromQuery(q: URLSearchParams): EpisodeFilter & { passage?: string } {
  const role = q.get("role") ?? "any";
  if (role !== "any" && role !== "generator" && role !== "predictor") throw new BadRequest(`role must be any, generator or predictor, got ${JSON.stringify(role)}`);
  const f: EpisodeFilter & { passage?: string } = { role };
  const step = intParam(q, "step");
  if (step !== undefined) f.step = step;
  const min = numParam(q, "min");
  if (min !== undefined) f.minReward = min;
  const max = numParam(q, "max");
  if (max !== undefined) f.maxReward = max;
  if (q.get("invalid") === "1" || q.get("invalid") === "true") f.invalidOnly = true;
  const passage = q.get("passage");
  if (passage) f.passage = passage;
  return f;
}

export function startInspector(opts: InspectorOptions): Inspector {
  const { index } = opts;
  const byKey = new Map<string, Episode>();
  const byPassage = new Map<string, Episode[]>();
  for (const e of index.episodes) {
    byKey.set(`${e.step}|${e.id}`, e);
    if (!byKey.has(e.id)) byKey.set(e.id, e);
    const k = `${e.step}|${e.passageKey}`;
    const list = byPassage.get(k);
    if (list) list.push(e);
    else byPassage.set(k, [e]);
  }
  const page = inspectorPage();
  const summary = {
    log: opts.logPath,
    runDir: opts.runDir ?? null,
    command: index.header.command,
    config: jsonSafe(index.header.config),
    records: index.records,
    bytes: index.bytes,
    episodes: index.episodes.length,
    steps: index.steps.length,
    generic: index.generic.length,
    warnings: index.warnings,
    divergence: opts.divergence ? { path: opts.divergence.path } : null,
  };

  const routes: Record<string, (q: URLSearchParams) => Response> = {
    "/api/summary": () => json(summary),
    "/api/steps": () => json(index.steps),
    "/api/episodes": (q) => {
      const f = filterFromQuery(q);
      const offset = intParam(q, "offset") ?? 0;
      const limit = intParam(q, "limit", 1) ?? 5000;
      const hits = index.episodes.filter((e) => matchesFilter(e, f) && (f.passage === undefined || e.passageKey === f.passage || e.id === f.passage));
      return json({ total: hits.length, offset, episodes: hits.slice(offset, offset + limit).map(summarize) });
    },
    "/api/episode": (q) => {
      const id = q.get("id");
      if (!id) throw new BadRequest("id is required");
      const step = intParam(q, "step");
      const e = byKey.get(step === undefined ? id : `${step}|${id}`);
      if (!e) return json({ error: `no episode ${id}${step === undefined ? "" : ` at step ${step}`}` }, 404);
      return json({ episode: e, siblings: (byPassage.get(`${e.step}|${e.passageKey}`) ?? []).map(summarize) });
    },
    "/api/divergence": () => (opts.divergence ? json({ path: opts.divergence.path, ...opts.divergence.data }) : json({ error: "no divergence file" }, 404)),
    "/api/record": (q) => {
      const seq = intParam(q, "seq", 1);
      if (seq === undefined) throw new BadRequest("seq is required");
      // Streaming re-read: records are not kept in memory (sample responses can be large).
      for (const r of EpisodeLogReader.open(opts.logPath, { allowTornTail: true }).records()) {
        if (r.seq === seq) return json(jsonSafe(r));
      }
      return json({ error: `no record ${seq}` }, 404);
    },
    "/api/generic": () => json(index.generic),
  };

  const server = Bun.serve({
    hostname: opts.host ?? "127.0.0.1",
    port: opts.port ?? 0,
    fetch(req) {
      const url = new URL(req.url);
      if (req.method !== "GET" && req.method !== "HEAD") return json({ error: "read-only: GET only" }, 405);
      if (url.pathname === "/" || url.pathname === "/index.html") {
        return new Response(page, { headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } });
      }
      if (url.pathname === "/favicon.ico") return new Response(null, { status: 204 });
      const route = routes[url.pathname];
      if (!route) return json({ error: `no such endpoint ${url.pathname}` }, 404);
      try {
        return route(url.searchParams);
      } catch (e) {
        if (e instanceof BadRequest) return json({ error: e.message }, 400);
        return json({ error: (e as Error).message }, 500);
      }
    },
  });
  const host = server.hostname ?? opts.host ?? "127.0.0.1";
  const shown = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shown}:${server.port}/`,
    port: server.port ?? 0,
    stop: () => server.stop(true),
  };
}
