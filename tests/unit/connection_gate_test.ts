/**
 * Tests for the relay's accept loop with a fake listener and fake sockets: no network, and a fake
 * clock for the backoff.
 */
import assert from "node:assert/strict";
import { decodeMessage, FrameDecoder } from "../../protocol.ts";
import {
  ConnectionGate,
  type ConnectionGateOptions,
  type GateListener,
} from "../../transport/connection_gate.ts";
import { withTimeout } from "../e2e/harness.ts";

/** A socket that records whether it was closed. */
class FakeConn {
  readonly remoteAddr: Deno.NetAddr;
  readonly #closing = Promise.withResolvers<void>();
  closes = 0;

  constructor(hostname: string, port: number) {
    this.remoteAddr = { transport: "tcp", hostname, port };
  }

  get closed(): boolean {
    return this.closes > 0;
  }

  /** Resolves when the socket is closed. */
  whenClosed(): Promise<void> {
    return this.#closing.promise;
  }

  close(): void {
    if (this.closes++ > 0) throw new Deno.errors.BadResource("closed twice");
    this.#closing.resolve();
  }
}

/** A listener whose accept() is answered by the test: a socket, or an error. */
class FakeListener implements GateListener<FakeConn> {
  readonly #answers: (FakeConn | Error)[] = [];
  #waiting: ((answer: FakeConn | Error) => void) | null = null;
  #nextPort = 40_000;

  accept(): Promise<FakeConn> {
    const answer = this.#answers.shift();
    const settle = (value: FakeConn | Error) =>
      value instanceof Error ? Promise.reject(value) : Promise.resolve(value);
    if (answer) return settle(answer);
    return new Promise<FakeConn | Error>((resolve) => this.#waiting = resolve).then(settle);
  }

  close(): void {
    this.#answer(new Deno.errors.BadResource("Listener has been closed"));
  }

  /** Queues a connection from `hostname` and returns it. */
  connect(hostname = "10.0.0.1"): FakeConn {
    const conn = new FakeConn(hostname, this.#nextPort++);
    this.#answer(conn);
    return conn;
  }

  fail(error: Error): void {
    this.#answer(error);
  }

  #answer(answer: FakeConn | Error): void {
    const waiting = this.#waiting;
    this.#waiting = null;
    if (waiting) waiting(answer);
    else this.#answers.push(answer);
  }
}

/** Lets the gate's promise chains run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

/** A gate over a fake listener whose served sockets stay open until the test ends them. */
function gate(options: Partial<ConnectionGateOptions<FakeConn>> = {}) {
  const listener = new FakeListener();
  const lines: string[] = [];
  const served = new Map<FakeConn, () => void>();
  const refused: { conn: FakeConn; message: string; fatal: boolean; code: string }[] = [];
  let time = 0;
  const instance = new ConnectionGate<FakeConn>(listener, {
    maxConnections: 100,
    maxPerAddress: 0,
    log: (line) => lines.push(line),
    serve: (conn) => new Promise<void>((resolve) => served.set(conn, resolve)),
    refuse: (conn, frame) => {
      const [body] = new FrameDecoder().push(frame);
      const message = decodeMessage(body!);
      assert.equal(message.type, "error");
      if (message.type === "error") refused.push({ conn, ...message });
      return Promise.resolve();
    },
    now: () => time,
    sleep: (ms) => {
      time += ms;
      return Promise.resolve();
    },
    ...options,
  });
  return {
    listener,
    gate: instance,
    lines,
    served,
    refused,
    /** Ends the session of `conn`, as the relay would. */
    end(conn: FakeConn) {
      served.get(conn)!();
    },
    async [Symbol.asyncDispose]() {
      await instance.close();
      for (const resolve of served.values()) resolve();
      await instance.settled();
    },
  };
}

Deno.test("ConnectionGate survives failing accepts, logs the burst once and serves on", async () => {
  await using g = gate();
  const early = g.listener.connect();
  await settle();
  for (let i = 0; i < 20; i++) g.listener.fail(new Error("Software caused connection abort"));
  const late = g.listener.connect();
  await settle();
  assert.ok(g.served.has(early) && g.served.has(late), "both sockets served");
  assert.equal(g.lines.filter((line) => line.startsWith("accept failed: ")).length, 1, g.lines[0]);
  // From the first failure to the last: pauses of 50, 100, 200, 400 and 800 ms, then 14 of 1 s.
  assert.ok(
    g.lines.includes("accept failed 20 time(s) over 15.6 s; accepting again"),
    g.lines.join("\n"),
  );
  assert.ok(!early.closed, "a socket already served is left alone");
  assert.equal(g.gate.maxConnections, 100, "an abort says nothing about the descriptor limit");
});

Deno.test("ConnectionGate brings its cap down to what fits when the open-file limit is reached", async () => {
  await using g = gate({ maxConnections: 100, maxRefusing: 4 });
  const open = Array.from({ length: 30 }, () => g.listener.connect());
  await settle();
  g.listener.fail(new Error("Too many open files (os error 24)"));
  g.listener.fail(new Error("Too many open files (os error 24)"));
  const over = g.listener.connect();
  await settle();
  // 30 open less 4 kept for refusing and 8 for the rest of the process.
  assert.equal(g.gate.maxConnections, 18);
  assert.equal(g.lines.filter((line) => line.includes("capping connections at 18")).length, 1);
  assert.deepEqual(g.refused.map((refusal) => refusal.conn), [over]);
  for (const conn of open.slice(0, 13)) g.end(conn);
  await settle();
  const next = g.listener.connect();
  await settle();
  assert.ok(g.served.has(next), "let in again below the lower cap");
});

Deno.test("ConnectionGate counts a socket until it is closed, and refuses past maxConnections", async () => {
  await using g = gate({ maxConnections: 2 });
  const [a, b] = [g.listener.connect("10.0.0.1"), g.listener.connect("10.0.0.2")];
  await settle();
  const over = g.listener.connect("10.0.0.3");
  await settle();
  assert.equal(g.gate.openSockets, 2);
  assert.deepEqual(g.refused.map((refusal) => refusal.conn), [over]);
  assert.equal(g.refused[0]!.code, "too_many_connections");
  assert.equal(g.refused[0]!.message, "The server has too many connections; try again later");
  assert.equal(g.refused[0]!.fatal, true);
  assert.ok(over.closed, "the refused socket is closed");
  assert.equal(g.gate.refusingSockets, 0);

  // The gate closes a served socket itself once its session ends; only then is its place free.
  g.end(a);
  await settle();
  assert.ok(a.closed);
  assert.equal(g.gate.openSockets, 1);
  const next = g.listener.connect("10.0.0.3");
  await settle();
  assert.ok(g.served.has(next));
  assert.ok(!b.closed);
});

Deno.test("ConnectionGate refuses past maxPerAddress with its own words, others still served", async () => {
  await using g = gate({ maxPerAddress: 2 });
  g.listener.connect("10.0.0.1");
  g.listener.connect("::ffff:10.0.0.1");
  const v6 = [g.listener.connect("2001:db8:0:1::5"), g.listener.connect("2001:db8:0:1::6")];
  await settle();
  const third = g.listener.connect("10.0.0.1");
  const thirdV6 = g.listener.connect("2001:db8:0:1::7");
  const other = g.listener.connect("10.0.0.2");
  const otherV6 = g.listener.connect("2001:db8:0:2::1");
  await settle();
  assert.deepEqual(g.refused.map((refusal) => refusal.conn), [third, thirdV6]);
  for (const refusal of g.refused) {
    assert.equal(refusal.code, "too_many_connections");
    assert.equal(
      refusal.message,
      "Too many connections from your address; close some and try again",
    );
  }
  assert.ok(g.served.has(other) && g.served.has(otherV6));
  assert.equal(g.gate.openSockets, 6);
  g.end(v6[0]!);
  await settle();
  const again = g.listener.connect("2001:db8:0:1::8");
  await settle();
  assert.ok(g.served.has(again), "a place freed by a close is taken again");
});

Deno.test("ConnectionGate closes sockets at once, without a word, past maxRefusing", async () => {
  const stalls: (() => void)[] = [];
  await using g = gate({
    maxConnections: 1,
    maxRefusing: 2,
    refuse: () => new Promise<void>((resolve) => stalls.push(resolve)),
  });
  g.listener.connect();
  const refusing = [g.listener.connect(), g.listener.connect()];
  const dropped = [g.listener.connect(), g.listener.connect(), g.listener.connect()];
  await settle();
  assert.equal(g.gate.refusingSockets, 2);
  assert.ok(refusing.every((conn) => !conn.closed));
  assert.ok(dropped.every((conn) => conn.closed));
  assert.equal(g.lines.filter((line) => line.includes("closed at once")).length, 1);
  for (const resolve of stalls) resolve();
  await settle();
  assert.ok(refusing.every((conn) => conn.closed));
  assert.equal(g.gate.refusingSockets, 0);
  assert.ok(g.lines.includes("closed 3 connection(s) at once while refusing was full"));
});

Deno.test("ConnectionGate gives up on a refusal after refusalMs and closes the socket", async () => {
  const never = Promise.withResolvers<void>();
  await using g = gate({ maxConnections: 1, refusalMs: 5, refuse: () => never.promise });
  g.listener.connect();
  const stuck = g.listener.connect();
  await withTimeout(stuck.whenClosed(), 5_000, "the stuck refusal's socket closing");
  await settle();
  assert.equal(g.gate.refusingSockets, 0);
  never.resolve();
});

Deno.test("ConnectionGate.close() ends the loop quietly and leaves served sockets to their owner", async () => {
  const g = gate();
  const conn = g.listener.connect();
  await settle();
  await g.gate.close();
  assert.deepEqual(g.lines, []);
  assert.ok(!conn.closed);
  g.end(conn);
  await g.gate.settled();
  assert.ok(conn.closed);
});
