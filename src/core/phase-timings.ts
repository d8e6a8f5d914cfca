// Where a run's wall time goes, for `npm run bench` only (issue 20: "so that the next regression
// names its phase"). Off unless AZTEC_BUTLER_BENCH_TIMINGS=1, which only the bench sets: then
// run() writes one JSON line as the last line of stderr,
//   {"aztecButlerTimings":{"command":…,"totalMs":…,"phases":[{"phase":…,"startMs":…,"ms":…},…]}}
// with startMs counted from the process's start (performance.timeOrigin), so "modules" — Node's
// own start-up plus loading the CLI — is the span before the first phase the CLI records.
// Phases may overlap: chain reads run while the workers derive.
import { performance } from "node:perf_hooks";

export const BENCH_TIMINGS_VARIABLE = "AZTEC_BUTLER_BENCH_TIMINGS";

export interface PhaseTiming {
  phase: string;
  /** Milliseconds since the process started. */
  startMs: number;
  ms: number;
}

let recorded: PhaseTiming[] = [];

/** Whether this run records its phases (read per call: in-process tests set it per test). */
export function phaseTimingsEnabled(): boolean {
  return process.env[BENCH_TIMINGS_VARIABLE] === "1";
}

/** Records a phase that started at `startMs` (performance.now()) and ended now. */
export function recordPhase(phase: string, startMs: number, endMs = performance.now()): void {
  if (!phaseTimingsEnabled()) return;
  recorded.push({ phase, startMs: round(startMs), ms: round(endMs - startMs) });
}

/**
 * `work()`'s result, its time recorded as `phase` (whether it succeeds or fails). A function, not
 * a promise: an async function runs up to its first await before it returns its promise, and that
 * part belongs to the phase too.
 */
export async function timed<T>(phase: string, work: () => T | Promise<T>): Promise<T> {
  const startMs = performance.now();
  try {
    return await work();
  } finally {
    recordPhase(phase, startMs);
  }
}

/** Forgets what an earlier run in the same process recorded (run() calls it first). */
export function startPhaseTimings(): void {
  recorded = [];
  // Everything before the CLI's run started: Node's start-up, the bin, the CLI's first modules.
  recordPhase("modules", 0);
}

/** The JSON line for this run (undefined when timings are off), in the order phases started. */
export function phaseTimingsLine(command: string | undefined): string | undefined {
  if (!phaseTimingsEnabled()) return undefined;
  const phases = [...recorded].sort((a, b) => a.startMs - b.startMs);
  recorded = [];
  const totalMs = round(performance.now());
  return `${JSON.stringify({ aztecButlerTimings: { command: command ?? null, totalMs, phases } })}\n`;
}

const round = (ms: number) => Math.round(ms * 10) / 10;
