/**
 * The CLI's own timings, for the benchmark's breakdowns. With AZTEC_BUTLER_BENCH_TIMINGS=1 in its
 * environment (only the benchmark sets it) the CLI writes, as the last line of stderr, one JSON
 * line:
 *
 *   {"aztecButlerTimings":{"command":"process-private-keys","totalMs":612.3,
 *     "phases":[{"phase":"modules","startMs":0,"ms":88.1}, …]}}
 *
 * startMs is relative to the process's start (performance.timeOrigin); phases may overlap (the
 * chain reads run during derivation) and their names are the CLI's, whatever they are.
 */
import { median } from "./report.js";

export const TIMINGS_ENV = "AZTEC_BUTLER_BENCH_TIMINGS";
const TIMINGS_KEY = "aztecButlerTimings";

export interface CliPhase {
  phase: string;
  startMs: number;
  ms: number;
}

export interface CliTimings {
  /** null when the run had no command (`--help`). */
  command: string | null;
  totalMs: number;
  phases: CliPhase[];
}

const isNumber = (value: unknown): value is number =>
  typeof value === "number" && Number.isFinite(value);

function isPhase(value: unknown): value is CliPhase {
  const p = value as Partial<CliPhase> | null;
  return typeof p?.phase === "string" && isNumber(p.startMs) && isNumber(p.ms);
}

function parseTimings(line: string): CliTimings {
  const parsed = (JSON.parse(line) as Record<string, unknown>)[TIMINGS_KEY] as
    Partial<CliTimings> | undefined;
  if (
    parsed === undefined ||
    (typeof parsed.command !== "string" && parsed.command !== null) ||
    !isNumber(parsed.totalMs) ||
    !Array.isArray(parsed.phases) ||
    !parsed.phases.every(isPhase)
  ) {
    throw new Error(`benchmark run invalid: malformed timings line ${line}`);
  }
  return { command: parsed.command, totalMs: parsed.totalMs, phases: parsed.phases };
}

/**
 * Splits the CLI's stderr into what it says to the operator and its timings line (its last line,
 * when it is one). The rest of the bench checks only the former.
 */
export function splitTimings(stderr: string): { stderr: string; timings?: CliTimings } {
  const trimmed = stderr.replace(/\n$/, "");
  const cut = trimmed.lastIndexOf("\n") + 1;
  const last = trimmed.slice(cut);
  if (!last.startsWith(`{"${TIMINGS_KEY}"`)) return { stderr };
  return { stderr: trimmed.slice(0, cut), timings: parseTimings(last) };
}

/** Whether any line of a run's stderr is (or looks like) a timings line. */
export const mentionsTimings = (stderr: string) => stderr.includes(TIMINGS_KEY);

export interface PhaseRow {
  phase: string;
  /** Medians over the runs that had the phase. */
  startMs: number;
  ms: number;
  /** ms as a share of the median wall time of all the runs (spawn to exit, as the bench saw it). */
  share: number;
  /** In how many of the runs it appeared. */
  runs: number;
}

export type Breakdown = { rows: PhaseRow[]; totalMs: number } | "no timings line";

/**
 * Where the wall time goes, over several runs of one scenario: per phase name, the median start
 * and duration, in order of (median) start. A phase a run reports twice counts with its first
 * start and its summed duration. "no timings line" when a run had none.
 */
export function breakdownOf(runs: readonly { wallMs: number; timings?: CliTimings }[]): Breakdown {
  if (runs.length === 0 || runs.some((r) => r.timings === undefined)) return "no timings line";
  const byPhase = new Map<string, { starts: number[]; durations: number[]; order: number }>();
  for (const run of runs) {
    const seen = new Map<string, CliPhase>();
    for (const p of run.timings!.phases) {
      const before = seen.get(p.phase);
      seen.set(p.phase, before ? { ...before, ms: before.ms + p.ms } : { ...p });
    }
    for (const p of seen.values()) {
      const entry = byPhase.get(p.phase) ?? { starts: [], durations: [], order: byPhase.size };
      entry.starts.push(p.startMs);
      entry.durations.push(p.ms);
      byPhase.set(p.phase, entry);
    }
  }
  const wallMs = median(runs.map((r) => r.wallMs));
  const rows = [...byPhase.entries()]
    .map(([phase, e]) => ({
      phase,
      startMs: median(e.starts),
      ms: median(e.durations),
      share: median(e.durations) / wallMs,
      runs: e.starts.length,
      order: e.order,
    }))
    .sort((a, b) => a.startMs - b.startMs || a.order - b.order)
    .map(({ order: _order, ...row }) => row);
  return { rows, totalMs: median(runs.map((r) => r.timings!.totalMs)) };
}

/**
 * What is wrong with the timings lines of runs made with the variable set: a run without one, one
 * naming another command, or a total beyond the wall the bench measured (spawn to exit, which
 * holds the CLI's process from its start).
 */
export function timingsProblems(
  runs: readonly { wallMs: number; timings?: CliTimings }[],
  command: string | null,
): string[] {
  const problems: string[] = [];
  runs.forEach((run, i) => {
    const t = run.timings;
    if (t === undefined) problems.push(`run ${i + 1}: no timings line`);
    else if (t.command !== command) problems.push(`run ${i + 1}: command ${t.command}`);
    else if (t.totalMs > run.wallMs) {
      problems.push(`run ${i + 1}: total ${t.totalMs} ms > wall ${run.wallMs.toFixed(1)} ms`);
    }
  });
  return problems;
}
