/**
 * The load process: `deno run -A bench/load.ts '<json LoadConfig>'`. Joins members to a relay on
 * 127.0.0.1 over raw TCP, has some of them send, measures, and prints one JSON `LoadResult` line
 * on stdout (progress goes to stderr). It runs apart from the relay so the two do not share an
 * event loop or a core, and it bounds itself: whatever happens, it reports by `deadlineMs`.
 * It can also add a late joiner and a stalled reader to the first room (`flood_probes.ts`).
 */
import { LateJoiner, RESUME_WAIT_MS, StalledReader } from "./flood_probes.ts";
import { createShared, LoadConn } from "./load_conn.ts";
import type { LoadConfig, LoadResult } from "./load_types.ts";
import { Sender } from "./sender.ts";
import { type ProcessSample, sampleProcess } from "./server_probe.ts";

/** Pause between printing the result and disconnecting. */
const REPORT_GRACE_MS = 250;
const TIMELINE_MS = 500;
/** Time kept in hand before the deadline when waiting on the stalled reader. */
const DEADLINE_MARGIN_MS = 1_000;

const start = performance.now();
const config = JSON.parse(Deno.args[0] ?? "") as LoadConfig;
const shared = createShared();
const members: LoadConn[] = [];
const senders: Sender[] = [];
let lateJoiner: LateJoiner | null = null;
let stalled: StalledReader | null = null;
const result: LoadResult = {
  ok: false,
  error: null,
  members: config.rooms * config.membersPerRoom,
  joined: 0,
  joinMs: null,
  server: { beforeJoin: probe(), afterJoin: null, sendStart: null, sendEnd: null, end: null },
  load: { sendStart: null, end: null },
  windowMs: 0,
  sent: 0,
  acked: 0,
  nacked: 0,
  windowFull: 0,
  ackedInWindow: 0,
  ackLatency: shared.ackLatency.summary(),
  receivers: 0,
  expected: 0,
  delivered: 0,
  missing: 0,
  deliveriesInWindow: 0,
  unsequenced: 0,
  outOfOrder: 0,
  deliverLatency: shared.deliverLatency.summary(),
  drainedMs: 0,
  disconnected: {},
  errors: shared.errors,
  presenceFrames: 0,
  timeline: [],
  lateJoin: null,
  stalled: null,
};

let finishing = false;
const deadline = setTimeout(() => finish("deadline reached"), config.deadlineMs);

try {
  await joinAll();
  result.joinMs = performance.now() - start;
  progress(`joined ${members.length} members in ${result.joinMs.toFixed(0)} ms`);
  await sleep(config.settleMs);
  result.server.afterJoin = probe();
  if (config.stalledReader) {
    const options = { room: "bench0", readBufferBytes: config.readBufferBytes };
    stalled = await StalledReader.join(config.port, options);
  }
  if (config.senders > 0 && config.durationMs > 0) await sendPhase();
  await finish(null);
} catch (error) {
  await finish(error instanceof Error ? error.message : String(error));
}

async function joinAll(): Promise<void> {
  const rooms = Array.from({ length: config.rooms }, (_, index) => `bench${index}`);
  const options = { shared, readBufferBytes: config.readBufferBytes };
  // Each room's first member creates it, so the rest find it whatever order they arrive in.
  const order: [string, string][] = rooms.map((room) => [room, "m0"]);
  if (config.joinOrder === "by_room") {
    for (const room of rooms) {
      for (let m = 1; m < config.membersPerRoom; m++) order.push([room, `m${m}`]);
    }
  } else {
    for (let m = 1; m < config.membersPerRoom; m++) {
      for (const room of rooms) order.push([room, `m${m}`]);
    }
  }
  let next = 0;
  const worker = async (firstOnly: boolean) => {
    while (next < order.length && (!firstOnly || next < rooms.length)) {
      const [room, name] = order[next++]!;
      members.push(await LoadConn.join(config.port, room, name, options));
      result.joined = members.length;
    }
  };
  const workers = (count: number, firstOnly: boolean) =>
    Promise.all(Array.from({ length: count }, () => worker(firstOnly)));
  await workers(Math.min(config.joinConcurrency, rooms.length), true);
  await workers(config.joinConcurrency, false);
}

async function sendPhase(): Promise<void> {
  const roomZero = members.filter((member) => member.room === "bench0");
  for (const member of roomZero.slice(0, config.senders)) {
    senders.push(new Sender(member, { window: config.window, bodyBytes: config.bodyBytes }));
  }
  result.server.sendStart = probe();
  result.load.sendStart = sampleProcess();
  const sendStart = performance.now();
  shared.windowEndsAt = sendStart + config.durationMs;
  stalled?.sendStarted(sendStart);
  if (config.lateJoinAtMs !== null) {
    const options = { port: config.port, room: "bench0", readBufferBytes: config.readBufferBytes };
    lateJoiner = new LateJoiner(config.lateJoinAtMs, options);
  }
  const timers: ReturnType<typeof setTimeout>[] = [];
  if (config.ratePerSender === 0) {
    for (const sender of senders) {
      sender.greedy = true;
      sender.pump();
    }
  } else {
    const period = 1000 / config.ratePerSender;
    senders.forEach((sender, index) => {
      // Spread the senders over one period so their sends do not all land in the same turn.
      let due = sendStart + (index * period) / senders.length;
      const tick = () => {
        sender.sendOne();
        due += period;
        if (due < shared.windowEndsAt) {
          timers[index] = setTimeout(tick, Math.max(0, due - performance.now()));
        }
      };
      timers[index] = setTimeout(tick, Math.max(0, due - performance.now()));
    });
  }
  const sampler = setInterval(() => {
    const server = probe();
    result.timeline.push({
      ms: Math.round(performance.now() - sendStart),
      acked: sum(senders.map((sender) => sender.acked)),
      delivered: sum(members.map((member) => member.delivered)),
      serverRssKb: server?.rssKb ?? null,
      serverCpuSeconds: server?.cpuSeconds ?? null,
    });
  }, TIMELINE_MS);
  await sleep(config.durationMs);
  clearInterval(sampler);
  for (const sender of senders) sender.stopped = true;
  for (const timer of timers) clearTimeout(timer);
  result.windowMs = performance.now() - sendStart;
  result.ackedInWindow = sum(senders.map((sender) => sender.acked));
  result.server.sendEnd = probe();
  progress(`sent for ${result.windowMs.toFixed(0)} ms; draining`);

  const drainStart = performance.now();
  while (performance.now() - drainStart < config.drainMs) {
    tally();
    const settled = senders.every((sender) => sender.inFlight === 0 || sender.gone) &&
      result.delivered >= result.expected;
    if (settled) break;
    await sleep(10);
  }
  result.drainedMs = performance.now() - drainStart;
  // Read the stalled socket again: what waited in its buffers, then end of file if the relay
  // closed it (when it did is in the relay's log, which run_cell.ts reads).
  const left = config.deadlineMs - (performance.now() - start) - DEADLINE_MARGIN_MS;
  await stalled?.resume(Math.max(0, Math.min(RESUME_WAIT_MS, left)));
}

/** Counts what each receiver got against what the senders had acknowledged. */
function tally(): void {
  const roomZero = members.filter((member) => member.room === "bench0");
  const totalAcked = sum(senders.map((sender) => sender.acked));
  result.sent = sum(senders.map((sender) => sender.sent));
  result.acked = totalAcked;
  result.nacked = sum(senders.map((sender) => sender.nacked));
  result.windowFull = sum(senders.map((sender) => sender.windowFull));
  result.receivers = 0;
  result.expected = 0;
  result.delivered = 0;
  result.missing = 0;
  result.unsequenced = 0;
  result.outOfOrder = 0;
  for (const member of roomZero) {
    result.unsequenced += member.unsequenced;
    result.outOfOrder += member.outOfOrder;
    if (member.closedByServer) continue;
    const expected = totalAcked - (member.sender?.acked ?? 0);
    result.receivers++;
    result.expected += expected;
    result.delivered += member.delivered;
    result.missing += Math.max(0, expected - member.delivered);
  }
}

async function finish(error: string | null): Promise<void> {
  if (finishing) return;
  finishing = true;
  clearTimeout(deadline);
  for (const sender of senders) sender.stopped = true;
  tally();
  result.ok = error === null;
  result.error = error;
  result.server.end = probe();
  result.load.end = sampleProcess();
  result.ackLatency = shared.ackLatency.summary();
  result.deliverLatency = shared.deliverLatency.summary();
  result.deliveriesInWindow = shared.deliveriesInWindow;
  result.presenceFrames = shared.presenceFrames;
  result.lateJoin = lateJoiner?.result() ?? null;
  result.stalled = stalled?.result() ?? null;
  for (const member of members) {
    if (member.closedByServer) {
      const code = member.closeCode || "closed_without_error_frame";
      result.disconnected[code] = (result.disconnected[code] ?? 0) + 1;
    }
  }
  Deno.stdout.writeSync(new TextEncoder().encode(`${JSON.stringify(result)}\n`));
  // Stay connected a moment, so the relay's log up to the report is read before our exit's.
  await sleep(REPORT_GRACE_MS);
  for (const member of members) member.close();
  lateJoiner?.close();
  stalled?.close();
  Deno.exit(0);
}

function probe(): ProcessSample | null {
  return config.serverPid === null ? null : sampleProcess(config.serverPid);
}

function progress(line: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`load: ${line}\n`));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
