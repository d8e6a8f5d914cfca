/**
 * `status --metrics-file`: the status as Prometheus text exposition format 0.0.4, for
 * node_exporter's textfile collector, built with prom-client and written atomically (a temp file
 * in the same directory, then rename: the collector never reads half a file).
 */
import type { MetricFamily } from "../plan/status-metrics.js";
import { writeFileAtomically } from "./safe-write.js";

/** Labels on every metric. */
export interface MetricLabels {
  network: string;
  provider: string;
}

/**
 * The exposition text of `families`. prom-client is loaded here, on first use: the commands
 * that write no metrics never load it.
 */
export async function renderMetrics(
  families: readonly MetricFamily[],
  common: MetricLabels,
): Promise<string> {
  const { Registry, Gauge } = await import("prom-client");
  const registry = new Registry();
  registry.setDefaultLabels({ ...common });
  for (const family of families) {
    const gauge = new Gauge({
      name: family.name,
      help: family.help,
      labelNames: [...family.labelNames],
      registers: [registry],
    });
    for (const sample of family.samples) gauge.set(sample.labels, sample.value);
  }
  return registry.metrics();
}

/** Replaces the metrics file (never a symlink or anything but a regular file) atomically. */
export async function writeMetricsFile(
  path: string,
  families: readonly MetricFamily[],
  common: MetricLabels,
): Promise<void> {
  await writeFileAtomically({
    path,
    content: await renderMetrics(families, common),
    overwrite: true,
  });
}
