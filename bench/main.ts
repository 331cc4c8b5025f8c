/**
 * `deno task bench`: measures the relay under load, one cell at a time, and prints a table (or,
 * with --json, one JSON document). A benchmark, never a test: it asserts nothing beyond sanity
 * markers (LOSS, DISCONNECTS, CRASH) and always exits 0 once it has reported, 2 on bad arguments.
 *
 *   deno task bench [--quick] [--json] [--cells ack,flood,paced,latency,idle] [--window N]
 *                   [--profile DIR]
 */
import { parseArgs } from "node:util";
import { CELL_DEADLINE_MS, CELLS, failedRows, type Row } from "./cells.ts";
import { selfTimes } from "./profile_summary.ts";
import { canPin, type CellRun, descriptorLimits, runCell } from "./run_cell.ts";

const USAGE = `Usage: deno task bench [options]

Options:
  --cells a,b     Cells to run (default: all): ${CELLS.map((cell) => cell.name).join(", ")}
  --quick         Tiny sizes and ~1 s per cell, for CI smoke runs
  --json          Print one JSON document instead of a table
  --window N      Override the senders' window of unacknowledged sends in every cell
  --profile DIR   Write a V8 CPU profile of the relay for each cell into DIR
  -h, --help      Show this help`;

/** Functions listed from each CPU profile. */
const PROFILE_TOP = 12;
/** Extra descriptors beyond one per member, for the runtime, SQLite and the listener. */
const DESCRIPTOR_MARGIN = 256;

/** The machine the figures come from. */
export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  deno: string;
  v8: string;
  os: string;
  pinned: boolean;
  openFilesLimit: string;
}

function usageError(message: string): never {
  console.error(`bench: ${message}\n\n${USAGE}`);
  Deno.exit(2);
}

let args;
try {
  args = parseArgs({
    args: Deno.args,
    options: {
      cells: { type: "string" },
      quick: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      profile: { type: "string" },
      window: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  }).values;
} catch (error) {
  usageError(error instanceof Error ? error.message : String(error));
}
if (args.help) {
  console.log(USAGE);
  Deno.exit(0);
}
const wanted = args.cells?.split(",").map((name) => name.trim()).filter(Boolean) ??
  CELLS.map((cell) => cell.name);
const unknown = wanted.filter((name) => !CELLS.some((cell) => cell.name === name));
if (unknown.length > 0) usageError(`Unknown cell "${unknown[0]}"`);
const quick = args.quick;
const windowOverride = args.window === undefined ? null : Number(args.window);
if (windowOverride !== null && !(Number.isSafeInteger(windowOverride) && windowOverride > 0)) {
  usageError(`Invalid --window "${args.window}": use a whole number from 1`);
}
const profileDir = args.profile ?? null;
if (profileDir) await Deno.mkdir(profileDir, { recursive: true });

const machine = describeMachine();
const started = performance.now();
const results = [];
for (const cell of CELLS.filter((cell) => wanted.includes(cell.name))) {
  const load = { ...cell.load(quick), ...(windowOverride ? { window: windowOverride } : {}) };
  const members = load.rooms * load.membersPerRoom;
  progress(`${cell.name}: ${cell.description}${quick ? " (quick sizes)" : ""}`);
  const run = await runCell(load, {
    memory: cell.memory,
    profileDir,
    hardTimeoutMs: CELL_DEADLINE_MS + 5_000,
    descriptors: Math.min(descriptorLimits().hard, members + DESCRIPTOR_MARGIN),
  });
  const rows = run.load ? cell.rows(run.load, quick) : failedRows(run);
  results.push({
    cell: cell.name,
    description: cell.description,
    config: load,
    rows,
    anomalies: anomalies(run),
    wallMs: Math.round(run.wallMs),
    load: run.load,
    server: run.server,
    profileTop: run.server.profile ? hotSpots(run.server.profile) : [],
  });
  progress(`${cell.name}: done in ${(run.wallMs / 1000).toFixed(1)} s`);
}
const wallMs = Math.round(performance.now() - started);

if (args.json) {
  console.log(JSON.stringify({ machine, quick, wallMs, cells: results }, null, 2));
} else {
  console.log(
    `${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGb} GB, deno ${machine.deno}, ` +
      `${machine.pinned ? "relay on core 0, load on core 1" : "not pinned"}` +
      `${quick ? " -- QUICK sizes, not comparable" : ""}\n`,
  );
  console.log(
    table(results.flatMap((result) => result.rows.map((row): [string, Row] => [result.cell, row]))),
  );
  for (const result of results) {
    if (result.anomalies.length > 0) {
      console.log(`\n${result.cell}: anomalies`);
      for (const line of result.anomalies) console.log(`  ${line}`);
    }
    if (result.server.profile) {
      console.log(`\n${result.cell}: relay CPU profile ${result.server.profile}, self time:`);
      for (const line of result.profileTop) console.log(`  ${line}`);
    }
  }
  console.log(`\nwall time ${(wallMs / 1000).toFixed(1)} s`);
}
Deno.exit(0);

/** Anything that looked wrong in a cell, with the relay's last log lines when it misbehaved. */
function anomalies(run: CellRun): string[] {
  const lines: string[] = [];
  const { load, server } = run;
  if (run.loadError) lines.push(`load: ${run.loadError}`);
  if (load && !load.ok) lines.push(`load stopped early: ${load.error}`);
  if (server.crashed) lines.push(`CRASH: the relay exited early (code ${server.exitCode})`);
  for (const [code, count] of Object.entries(load?.errors ?? {})) {
    lines.push(`load saw ${code} x${count}`);
  }
  if (load && load.outOfOrder > 0) lines.push(`deliveries out of seq order: ${load.outOfOrder}`);
  if (load && load.unsequenced > 0) lines.push(`unstored (seq 0) deliveries: ${load.unsequenced}`);
  if (load && load.nacked > 0) lines.push(`nacked sends: ${load.nacked}`);
  const notable = Object.entries(server.notable);
  for (const [kind, count] of notable) lines.push(`relay log: ${kind} x${count}`);
  if (server.crashed || notable.length > 0 || lines.length > 0) {
    lines.push("relay's last log lines:", ...server.logTail.map((line) => `  | ${line}`));
    if (server.stderrTail.length > 0) {
      lines.push("relay's stderr:", ...server.stderrTail.map((line) => `  ! ${line}`));
    }
  }
  return lines;
}

/** The functions with the most self time in a CPU profile, as printable lines. */
function hotSpots(path: string): string[] {
  try {
    const times = selfTimes(JSON.parse(Deno.readTextFileSync(path)));
    const total = times.reduce((sum, entry) => sum + entry.ms, 0);
    return times.slice(0, PROFILE_TOP).map(({ key, ms }) =>
      `${ms.toFixed(0).padStart(7)} ms ${(100 * ms / total).toFixed(1).padStart(5)}%  ${key}`
    );
  } catch (error) {
    return [`cannot read the profile: ${error instanceof Error ? error.message : String(error)}`];
  }
}

function table(rows: [string, Row][]): string {
  const header = ["cell", "metric", "value", "target", ""];
  const cells = rows.map(([cell, row]) => [cell, row.metric, row.value, row.target, row.status]);
  const widths = header.map((_, i) => Math.max(...[header, ...cells].map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((text, i) => text.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

function describeMachine(): Machine {
  let cpuModel = "unknown";
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    cpuModel = info.match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? cpuModel;
  } catch {
    // Not Linux: the model stays unknown.
  }
  const limits = descriptorLimits();
  return {
    cpus: navigator.hardwareConcurrency,
    cpuModel,
    memoryGb: Math.round(Deno.systemMemoryInfo().total / 1024 ** 3),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    pinned: canPin(),
    openFilesLimit: `${limits.soft} soft / ${limits.hard} hard`,
  };
}

function progress(line: string): void {
  console.error(`bench: ${line}`);
}
