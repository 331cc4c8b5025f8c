/**
 * Runs one bench cell: starts a relay (`main.ts serve` on 127.0.0.1, port 0, a fresh data
 * directory) and a load process, each pinned to its own core when `taskset` exists, waits for the
 * load's JSON result within a hard bound, then stops both and deletes the data directory. It keeps
 * the relay's last log lines and counts the notable ones (disconnects by code, protocol errors).
 * A member the load stalled on purpose is expected to be dropped: what the log says about it goes
 * into the load's result instead of the notable counts.
 */
import type { RelayVerdict } from "./flood_probes.ts";
import type { LoadConfig, LoadResult } from "./load_types.ts";

/** A cell's load parameters; the port and pid are filled in here. */
export type CellLoad = Omit<LoadConfig, "port" | "serverPid">;

/** How to run the relay for a cell. */
export interface RunOptions {
  /** Keep messages in memory instead of a temporary data directory. */
  memory: boolean;
  /** Directory for a V8 CPU profile of the relay, or null for none. */
  profileDir: string | null;
  /** The load process is killed after this long, whatever it is doing. */
  hardTimeoutMs: number;
  /** File descriptors each process needs: the soft limit is raised to this when lower. */
  descriptors: number;
}

/** What the relay did during a cell. */
export interface ServerReport {
  pid: number | null;
  /** The relay exited (or failed to start) before it was told to stop. */
  crashed: boolean;
  exitCode: number | null;
  /** Log lines counted by kind, up to the end of the load (shutdown excluded). */
  notable: Record<string, number>;
  /** The last log lines before shutdown, and stderr. */
  logTail: string[];
  stderrTail: string[];
  pinned: boolean;
  /** The V8 CPU profile the relay wrote on exit, when one was asked for. */
  profile: string | null;
}

/** A cell's outcome. */
export interface CellRun {
  load: LoadResult | null;
  loadError: string | null;
  server: ServerReport;
  wallMs: number;
}

const ROOT = new URL("../", import.meta.url).pathname;
const STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 8_000;
const TAIL_LINES = 30;

/** `chat serve` flags that turn off the per-peer limits (each 0 is "off"). */
const UNLIMITED = [
  "--max-per-ip",
  "0",
  "--max-unjoined",
  "0",
  "--join-timeout",
  "0",
  "--max-guesses",
  "0",
  "--room-rate",
  "0",
  "--send-rate",
  "0",
  "--send-kbps",
  "0",
  "--ip-mb-per-hour",
  "0",
  "--log-rate",
  "0",
];

/** Runs one cell from start to clean-up. */
export async function runCell(load: CellLoad, options: RunOptions): Promise<CellRun> {
  const started = performance.now();
  const dataDir = options.memory ? ":memory:" : await Deno.makeTempDir({ prefix: "chat-bench-" });
  const pin = canPin();
  const serverArgs = [
    "run",
    "-A",
    ...(options.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`] : []),
    `${ROOT}main.ts`,
    "serve",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--data",
    dataDir,
    // The load comes from one address, sends as fast as it can and joins thousands at once:
    // the limits that protect a relay from its peers would only measure themselves.
    ...UNLIMITED,
  ];
  const server = spawn(serverArgs, pin ? 0 : null, options.descriptors);
  const log = new LineCollector(server.stdout);
  const errLog = new LineCollector(server.stderr);
  const report: ServerReport = {
    pid: server.pid,
    crashed: false,
    exitCode: null,
    notable: {},
    logTail: [],
    stderrTail: [],
    pinned: pin,
    profile: null,
  };
  let exited = false;
  const status = server.status.then((s) => {
    exited = true;
    return s;
  });
  try {
    const first = await withTimeout(log.firstLine, STARTUP_TIMEOUT_MS);
    const port = Number(first?.match(/^listening on 127\.0\.0\.1:(\d+)$/)?.[1]);
    if (!port) {
      report.crashed = true;
      await withTimeout(status, 1_000);
      return { load: null, loadError: `relay did not start: ${first}`, server: report, wallMs: 0 };
    }
    // The relay's log is read up to the moment the load reports, before the load's own exit
    // disconnects every member and floods the log with lines that say nothing about the cell.
    let verdicts = new Map<string, RelayVerdict>();
    const snapshot = () => {
      report.crashed = exited;
      report.notable = { ...log.notable };
      report.logTail = log.tail.slice();
      verdicts = new Map([...log.verdicts].map(([peer, verdict]) => [peer, { ...verdict }]));
    };
    const outcome = await runLoad({ ...load, port, serverPid: server.pid }, options, pin, snapshot);
    if (outcome.load === null) snapshot();
    if (outcome.load?.stalled) attributeStalled(outcome.load.stalled, verdicts, report);
    return { ...outcome, server: report, wallMs: performance.now() - started };
  } finally {
    if (!exited) server.kill("SIGINT");
    const stopped = await withTimeout(status, STOP_TIMEOUT_MS);
    if (stopped === null) {
      server.kill("SIGKILL");
      await status;
    }
    report.exitCode = (await status).code;
    await Promise.all([log.done, errLog.done]);
    if (report.logTail.length === 0) report.logTail = log.tail.slice();
    report.stderrTail = errLog.tail.slice();
    if (options.profileDir) report.profile = findProfile(options.profileDir, server.pid);
    if (dataDir !== ":memory:") await Deno.remove(dataDir, { recursive: true });
  }
}

/** Moves the relay's drop of the stalled reader from the notable counts to the load's result. */
function attributeStalled(
  stalled: NonNullable<LoadResult["stalled"]>,
  verdicts: Map<string, RelayVerdict>,
  report: ServerReport,
): void {
  const verdict = verdicts.get(stalled.peer) ?? null;
  stalled.relay = verdict;
  const code = verdict?.code;
  if (code && report.notable[code]) {
    report.notable[code]--;
    if (report.notable[code] === 0) delete report.notable[code];
  }
}

async function runLoad(
  config: LoadConfig,
  options: RunOptions,
  pin: boolean,
  onResult: () => void,
): Promise<{ load: LoadResult | null; loadError: string | null }> {
  const child = spawn(
    ["run", "-A", `${ROOT}bench/load.ts`, JSON.stringify(config)],
    pin ? 1 : null,
    options.descriptors,
  );
  const kill = setTimeout(() => child.kill("SIGKILL"), options.hardTimeoutMs);
  const out = new LineCollector(child.stdout, onResult);
  const err = new LineCollector(child.stderr);
  const status = await child.status;
  clearTimeout(kill);
  await Promise.all([out.done, err.done]);
  const last = out.tail.at(-1);
  try {
    if (!last) throw new Error("no result line");
    return { load: JSON.parse(last) as LoadResult, loadError: null };
  } catch {
    const why = status.signal === "SIGKILL" ? "killed at the hard timeout" : `exit ${status.code}`;
    return { load: null, loadError: `load process ${why}: ${err.tail.slice(-5).join(" | ")}` };
  }
}

function spawn(denoArgs: string[], core: number | null, descriptors: number): Deno.ChildProcess {
  let args = [Deno.execPath(), ...denoArgs];
  if (core !== null) args = ["taskset", "-c", String(core), ...args];
  if (softDescriptorLimit() < descriptors) {
    args = ["bash", "-c", `ulimit -n ${descriptors} && exec "$@"`, "bash", ...args];
  }
  return new Deno.Command(args[0]!, {
    args: args.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** The profile `deno run --cpu-prof` wrote for `pid` (named CPU.<time>.<pid>.cpuprofile). */
function findProfile(dir: string, pid: number): string | null {
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.name.endsWith(`.${pid}.cpuprofile`)) return `${dir}/${entry.name}`;
  }
  return null;
}

let pinnable: boolean | null = null;

/** Whether `taskset` exists and there are two cores to pin to. */
export function canPin(): boolean {
  if (pinnable === null) {
    try {
      const probe = new Deno.Command("taskset", { args: ["-c", "1", "true"] }).outputSync();
      pinnable = probe.success && navigator.hardwareConcurrency >= 2;
    } catch {
      pinnable = false;
    }
  }
  return pinnable;
}

/** The soft and hard limits on open files, from /proc (Infinity when unreadable). */
export function descriptorLimits(): { soft: number; hard: number } {
  try {
    const limits = Deno.readTextFileSync("/proc/self/limits");
    const match = limits.match(/^Max open files\s+(\S+)\s+(\S+)/m);
    const parse = (text: string | undefined) => text === "unlimited" ? Infinity : Number(text);
    return { soft: parse(match?.[1]), hard: parse(match?.[2]) };
  } catch {
    return { soft: Infinity, hard: Infinity };
  }
}

function softDescriptorLimit(): number {
  return descriptorLimits().soft;
}

/** A relay log line: ISO time, the peer, and what happened to it. */
const LOG_LINE = /^(\S+) (\S+) (.*)$/;
/** Logged when the relay decides to drop a member for not reading. */
const LEFT_TOO_SLOW = /^left ".*" as \S+ \((too_slow)\)$/;
/** Logged once the connection is closed, which waits up to 2 s for queued bytes to leave. */
const DISCONNECTED_WITH_CODE = /^disconnected \((\w+)\)$/;

/** Reads a stream's lines in the background, keeping the last few and counting notable ones. */
class LineCollector {
  readonly tail: string[] = [];
  readonly notable: Record<string, number> = {};
  /** Peers the relay dropped (too slow, or with an error code), by address. */
  readonly verdicts = new Map<string, RelayVerdict>();
  readonly firstLine: Promise<string | null>;
  readonly done: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void = () => {}) {
    const first = Promise.withResolvers<string | null>();
    this.firstLine = first.promise;
    this.done = (async () => {
      let pending = "";
      for await (const text of stream.pipeThrough(new TextDecoderStream())) {
        const lines = (pending + text).split("\n");
        pending = lines.pop()!;
        for (const line of lines) {
          first.resolve(line);
          this.#line(line);
          onLine(line);
        }
      }
      if (pending) {
        first.resolve(pending);
        this.#line(pending);
      }
      first.resolve(null);
    })();
  }

  #line(line: string): void {
    this.tail.push(line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
    const kind = line.match(/disconnected \((\w+)\)/)?.[1] ??
      line.match(/protocol error: (\w+)/)?.[0] ??
      line.match(/read failed|replay failed|storage refused|refused:|unexpected error/)?.[0];
    if (kind) this.notable[kind] = (this.notable[kind] ?? 0) + 1;
    if (line.includes("disconnected (") || line.includes("(too_slow)")) this.#verdict(line);
  }

  #verdict(line: string): void {
    const [, time, peer, event] = line.match(LOG_LINE) ?? [];
    if (!time || !peer || !event) return;
    const left = event.match(LEFT_TOO_SLOW);
    const code = event.match(DISCONNECTED_WITH_CODE)?.[1];
    if (!left && !code) return;
    const verdict = this.verdicts.get(peer) ??
      { leftAtEpochMs: null, leaveReason: null, code: null };
    if (left) {
      verdict.leftAtEpochMs = Date.parse(time);
      verdict.leaveReason = left[1] ?? null;
    }
    if (code) verdict.code = code;
    this.verdicts.set(peer, verdict);
  }
}

/** The promise's value, or null if it takes longer than `ms`; leaves no timer behind. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), ms));
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}
