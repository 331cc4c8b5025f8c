/**
 * The bench's cells: what load each one puts on the relay (full and `--quick` sizes) and which
 * figures it reports against which target. A target is printed next to its figure; missing one is
 * a finding, not a failure. The only verdicts are sanity markers (LOSS, DISCONNECTS, CRASH).
 */
import type { LoadResult } from "./load_types.ts";
import type { CellLoad, CellRun } from "./run_cell.ts";

/** One line of the report. */
export interface Row {
  metric: string;
  value: string;
  target: string;
  /** "met" / "missed" against the target, "" when there is none. */
  status: "met" | "missed" | "";
  /** The figure as a number, for --json. */
  raw: number | null;
}

/** A cell of the bench. */
export interface Cell {
  name: string;
  description: string;
  /** Keep messages in memory; otherwise a fresh data directory on disk. */
  memory: boolean;
  load(quick: boolean): CellLoad;
  rows(load: LoadResult, quick: boolean): Row[];
}

const SECOND = 1_000;
/** Every cell reports within this bound, joins and drain included. */
export const CELL_DEADLINE_MS = 20 * SECOND;

const base = {
  rooms: 1,
  window: 256,
  ratePerSender: 0,
  bodyBytes: 200,
  drainMs: 5 * SECOND,
  settleMs: 200,
  deadlineMs: CELL_DEADLINE_MS,
  joinConcurrency: 64,
  joinOrder: "interleaved" as const,
  readBufferBytes: 16 * 1024,
  lateJoinAtMs: null,
  stalledReader: false,
};

const sendSeconds = (quick: boolean) => (quick ? 1 : 10) * SECOND;

/** Every cell, in the order they run. */
export const CELLS: Cell[] = [
  {
    name: "ack",
    description: "10 senders in one room, 64 unacknowledged each, 200-byte bodies, durable storage",
    memory: false,
    load: (quick) => ({
      ...base,
      membersPerRoom: 10,
      senders: 10,
      window: 64,
      durationMs: sendSeconds(quick),
    }),
    rows: (r) => [
      rate("acked msgs/s", r.ackedInWindow, r.windowMs, 20_000),
      ...latency("send->ack", r.ackLatency, null),
      ...delivery(r),
      ...resources(r),
    ],
  },
  {
    name: "flood",
    description: "1,000 members in one room, 10 sending flat out (window 256), 200-byte bodies; " +
      "one more joins 3 s in, one never reads",
    memory: false,
    load: (quick) => ({
      ...base,
      membersPerRoom: quick ? 100 : 1_000,
      senders: 10,
      durationMs: sendSeconds(quick),
      lateJoinAtMs: quick ? 300 : 3 * SECOND,
      stalledReader: true,
    }),
    rows: (r) => [
      unlessDisconnected(rate("deliveries/s", r.deliveriesInWindow, r.windowMs, 2_000_000), r),
      rate("acked msgs/s", r.ackedInWindow, r.windowMs, null),
      ...delivery(r),
      ...latency("send->deliver", r.deliverLatency, null),
      lateJoin(r),
      stalledReader(r),
      ...resources(r),
      perConnection(r, false),
    ],
  },
  {
    name: "paced",
    description: "1,000 members in one room, 10 senders at 10 msgs/s each (100,000 deliveries/s)",
    memory: false,
    load: (quick) => ({
      ...base,
      membersPerRoom: quick ? 100 : 1_000,
      senders: 10,
      ratePerSender: 10,
      durationMs: sendSeconds(quick),
    }),
    rows: (r) => [
      rate("deliveries/s", r.deliveriesInWindow, r.windowMs, null),
      ...delivery(r),
      ...latency("send->deliver", r.deliverLatency, 10),
      ...resources(r),
    ],
  },
  {
    name: "latency",
    description: "10 members in one room, 1 sender at 100 msgs/s",
    memory: false,
    load: (quick) => ({
      ...base,
      membersPerRoom: 10,
      senders: 1,
      ratePerSender: 100,
      durationMs: sendSeconds(quick),
    }),
    rows: (r) => [
      ...latency("send->deliver", r.deliverLatency, null),
      ...latency("send->ack", r.ackLatency, null),
      ...delivery(r),
    ],
  },
  {
    name: "idle",
    description: "10,000 members joined in 100 rooms of 100, nothing sent",
    memory: false,
    load: (quick) => ({
      ...base,
      rooms: quick ? 10 : 100,
      membersPerRoom: 100,
      senders: 0,
      durationMs: 0,
      settleMs: quick ? 300 : SECOND,
      joinConcurrency: 128,
      readBufferBytes: 4 * 1024,
    }),
    rows: (r) => [
      joinTime(r),
      megabytes("server RSS before joins", r.server.beforeJoin?.rssKb),
      megabytes("server RSS after joins", r.server.afterJoin?.rssKb),
      megabytes("server peak RSS", r.server.end?.peakRssKb),
      perConnection(r, true),
    ],
  },
  {
    name: "crowd",
    description: "10,000 members joining one room, nothing sent: a conference in one room",
    memory: false,
    load: (quick) => ({
      ...base,
      rooms: 1,
      membersPerRoom: quick ? 1_000 : 10_000,
      senders: 0,
      durationMs: 0,
      settleMs: quick ? 300 : SECOND,
      joinConcurrency: 128,
      readBufferBytes: 4 * 1024,
    }),
    rows: (r) => [
      joinTime(r),
      {
        metric: "presence frames received by all members",
        value: r.presenceFrames.toLocaleString("en-US"),
        target: "",
        status: "",
        raw: r.presenceFrames,
      },
      megabytes("server RSS after joins", r.server.afterJoin?.rssKb),
      perConnection(r, false),
    ],
  },
];

function joinTime(r: LoadResult): Row {
  return {
    metric: `time to join ${r.members.toLocaleString("en-US")} members`,
    value: r.joinMs === null ? "n/a" : `${(r.joinMs / SECOND).toFixed(2)} s`,
    target: "<= 5 s",
    status: r.joinMs === null ? "missed" : r.joinMs <= 5 * SECOND ? "met" : "missed",
    raw: r.joinMs,
  };
}

function rate(metric: string, count: number, windowMs: number, target: number | null): Row {
  const value = windowMs > 0 ? count / (windowMs / SECOND) : 0;
  return {
    metric,
    value: Math.round(value).toLocaleString("en-US"),
    target: target === null ? "" : `>= ${target.toLocaleString("en-US")}`,
    status: target === null ? "" : value >= target ? "met" : "missed",
    raw: value,
  };
}

function latency(
  what: string,
  summary: LoadResult["ackLatency"],
  p99TargetMs: number | null,
): Row[] {
  const row = (name: string, ms: number | null, target: number | null): Row => ({
    metric: `${what} ${name}`,
    value: ms === null ? "n/a" : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`,
    target: target === null ? "" : `< ${target} ms`,
    status: target === null ? "" : ms !== null && ms < target ? "met" : "missed",
    raw: ms,
  });
  return [
    row("p50", summary.p50Ms, null),
    row("p99", summary.p99Ms, p99TargetMs),
    row("max", summary.maxMs, null),
  ];
}

/**
 * A throughput row is void when the relay dropped members: fewer receivers make each message
 * cheaper to fan out, so the figure would flatter the relay. It is shown, marked, never "met".
 */
function unlessDisconnected(row: Row, r: LoadResult): Row {
  const dropped = Object.values(r.disconnected).reduce((a, b) => a + b, 0);
  if (dropped === 0) return row;
  return { ...row, value: `${row.value} (VOID: ${dropped} dropped)`, status: "missed" };
}

/** Delivered against expected, with LOSS when a receiver that stayed joined missed any. */
function delivery(r: LoadResult): Row[] {
  const rows: Row[] = [{
    metric: "deliveries delivered / expected",
    value: `${r.delivered.toLocaleString("en-US")} / ${r.expected.toLocaleString("en-US")}` +
      (r.missing > 0 ? `  LOSS ${r.missing.toLocaleString("en-US")}` : ""),
    target: "no loss",
    status: r.missing > 0 ? "missed" : "met",
    raw: r.missing,
  }];
  const dropped = Object.values(r.disconnected).reduce((a, b) => a + b, 0);
  if (dropped > 0) {
    rows.push({
      metric: "members disconnected by the relay",
      value: `DISCONNECTS ${dropped} (${JSON.stringify(r.disconnected)})`,
      target: "0",
      status: "missed",
      raw: dropped,
    });
  }
  return rows;
}

/** How long a member joining mid-flood waits to be joined and for its first message. */
function lateJoin(r: LoadResult): Row {
  const late = r.lateJoin;
  const first = late?.firstMessageMs ?? null;
  const ms = (value: number | null | undefined) =>
    value === null || value === undefined ? "n/a" : `${value.toFixed(value < 10 ? 1 : 0)} ms`;
  const value = late?.error
    ? `FAILED: ${late.error}`
    : `${ms(late?.joinedMs)} / ${ms(first)} (caught up ${ms(late?.caughtUpMs)})`;
  return {
    metric: "late join during flood: joined / first message",
    value,
    target: "first message <= 1 s",
    status: first !== null && first <= SECOND ? "met" : "missed",
    raw: first,
  };
}

/** Whether, and how long into the flood, the relay dropped the member that never reads. */
function stalledReader(r: LoadResult): Row {
  const stalled = r.stalled;
  const verdict = stalled?.relay ?? null;
  const row = { metric: "stalled reader", target: "disconnected" };
  if (!stalled || !verdict) {
    // Too little sent to fill the socket buffers and the relay's queue (as in --quick), or a
    // relay that lets a reader fall behind without bound: the bytes it had waiting tell which.
    const waiting = stalled ? `${(stalled.unreadBytes / 1024 ** 2).toFixed(1)} MB waiting, ` : "";
    const value = `NOT disconnected (${waiting}connection ${stalled?.ended ?? "n/a"})`;
    return { ...row, value, status: "missed", raw: null };
  }
  const after = verdict.leftAtEpochMs === null || stalled.sendStartEpochMs === null
    ? null
    : (verdict.leftAtEpochMs - stalled.sendStartEpochMs) / SECOND;
  const when = after === null ? "" : ` after ${after.toFixed(1)} s`;
  return {
    ...row,
    value: `disconnected${when} (${verdict.code ?? verdict.leaveReason})`,
    status: "met",
    raw: after,
  };
}

function resources(r: LoadResult): Row[] {
  const serverCpu = cpu(r.server.sendStart?.cpuSeconds, r.server.end?.cpuSeconds);
  const loadCpu = cpu(r.load.sendStart?.cpuSeconds, r.load.end?.cpuSeconds);
  const elapsed = (r.windowMs + r.drainedMs) / SECOND;
  const seconds = (metric: string, value: number | null): Row => ({
    metric,
    value: value === null ? "n/a" : `${value.toFixed(2)} s (${pct(value, elapsed)} of a core)`,
    target: "",
    status: "",
    raw: value,
  });
  return [
    megabytes("server peak RSS", r.server.end?.peakRssKb),
    seconds("server CPU while sending+drain", serverCpu),
    seconds("load CPU while sending+drain", loadCpu),
  ];
}

function perConnection(r: LoadResult, withTarget: boolean): Row {
  const before = r.server.beforeJoin?.rssKb;
  const after = r.server.afterJoin?.rssKb;
  const value = before === undefined || after === undefined || r.joined === 0
    ? null
    : (after - before) / r.joined;
  return {
    metric: "server RSS per joined connection",
    value: value === null ? "n/a" : `${value.toFixed(1)} kB`,
    target: withTarget ? "< 10 kB" : "",
    status: !withTarget ? "" : value !== null && value < 10 ? "met" : "missed",
    raw: value,
  };
}

function megabytes(metric: string, kb: number | undefined): Row {
  return {
    metric,
    value: kb === undefined ? "n/a" : `${(kb / 1024).toFixed(1)} MB`,
    target: "",
    status: "",
    raw: kb ?? null,
  };
}

function cpu(start: number | undefined, end: number | undefined): number | null {
  return start === undefined || end === undefined ? null : end - start;
}

function pct(value: number, of: number): string {
  return of > 0 ? `${Math.round((value / of) * 100)}%` : "n/a";
}

/** The rows for a cell that produced no load result. */
export function failedRows(run: CellRun): Row[] {
  return [{
    metric: "run",
    value: `FAILED: ${run.loadError ?? "unknown"}`,
    target: "",
    status: "missed",
    raw: null,
  }];
}
