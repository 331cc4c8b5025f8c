/**
 * What the load process is told to do and what it reports: the JSON that passes between
 * bench/run_cell.ts and bench/load.ts.
 */
import type { LateJoinResult, StalledResult } from "./flood_probes.ts";
import type { LatencySummary } from "./histogram.ts";
import type { ProcessSample } from "./server_probe.ts";

/** What the load process does. */
export interface LoadConfig {
  port: number;
  /** The relay's pid, to sample its memory and CPU at the phase boundaries; null to skip. */
  serverPid: number | null;
  rooms: number;
  membersPerRoom: number;
  /** Members of the first room that send; the rest only receive. */
  senders: number;
  /** Most unacknowledged sends per sender. */
  window: number;
  /** Messages a second per sender; 0 sends whenever the window has room. */
  ratePerSender: number;
  bodyBytes: number;
  /** How long senders send. */
  durationMs: number;
  /** Longest wait, after sending stops, for acks and deliveries to settle. */
  drainMs: number;
  /** Pause after everyone joined before the "after join" sample (lets the relay settle). */
  settleMs: number;
  /** The whole run's bound, joins included. */
  deadlineMs: number;
  joinConcurrency: number;
  /** "interleaved" joins one member per room in turn, as arrivals would; "by_room" fills rooms. */
  joinOrder: "interleaved" | "by_room";
  readBufferBytes: number;
  /** When, in ms into the send phase, a new member joins the first room; null for none. */
  lateJoinAtMs: number | null;
  /** Add a member to the first room, before sending, that never reads after catching up. */
  stalledReader: boolean;
}

/** What the load process measured. */
export interface LoadResult {
  ok: boolean;
  error: string | null;
  members: number;
  joined: number;
  joinMs: number | null;
  server: {
    beforeJoin: ProcessSample | null;
    afterJoin: ProcessSample | null;
    sendStart: ProcessSample | null;
    sendEnd: ProcessSample | null;
    end: ProcessSample | null;
  };
  load: { sendStart: ProcessSample | null; end: ProcessSample | null };
  windowMs: number;
  sent: number;
  acked: number;
  nacked: number;
  /** Paced sends skipped because the window was full. */
  windowFull: number;
  /** Acks received while senders were sending. */
  ackedInWindow: number;
  ackLatency: LatencySummary;
  /** Members of the sending room that stayed connected throughout. */
  receivers: number;
  /** Sum over those receivers of the acked messages of others they should have received. */
  expected: number;
  /** Deliveries of stored messages to those receivers. */
  delivered: number;
  /** Per receiver, expected minus delivered where positive, summed. */
  missing: number;
  deliveriesInWindow: number;
  unsequenced: number;
  outOfOrder: number;
  deliverLatency: LatencySummary;
  drainedMs: number;
  /** Members the relay disconnected, by the code it gave. */
  disconnected: Record<string, number>;
  errors: Record<string, number>;
  presenceFrames: number;
  /** Samples every `TIMELINE_MS` while sending: to see stalls and memory growth over time. */
  timeline: TimelinePoint[];
  /** The late joiner and the stalled reader, when asked for; not counted in any figure above. */
  lateJoin: LateJoinResult | null;
  stalled: StalledResult | null;
}

/** Cumulative counts at one moment of the send phase. */
export interface TimelinePoint {
  ms: number;
  acked: number;
  delivered: number;
  serverRssKb: number | null;
  serverCpuSeconds: number | null;
}
