/**
 * End-to-end tests of the relay's socket layer under hostile connections: the real server under a
 * low descriptor limit (prlimit), bursts of raw connections from loopback, stalled TLS
 * handshakes, and the server's open descriptors read from /proc. Every burst is bounded in count
 * and every wait in time.
 */
import assert from "node:assert/strict";
import net from "node:net";
import {
  decodeMessage,
  encodeMessage,
  FrameDecoder,
  type Message,
  PROTOCOL_VERSION,
} from "../../protocol.ts";
import { connectTls, NodeTlsConnection } from "../../transport/node_tls.ts";
import {
  type ChatServer,
  joinClient,
  RawPeer,
  spawnChat,
  startServer,
  withTimeout,
} from "./harness.ts";

const HELLO: Message = {
  type: "hello",
  minVersion: PROTOCOL_VERSION,
  maxVersion: PROTOCOL_VERSION,
  software: "limits-test",
};
/** The first bytes of a TLS ClientHello: a record header that promises more than ever comes. */
const HALF_HELLO = Uint8Array.of(0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03);

/**
 * What a test needs from the system: skipped with one line saying how to install it when missing,
 * except under CI=true, where missing it is a failure.
 */
function requires(what: string, present: () => boolean, install: string) {
  let found = false;
  try {
    found = present();
  } catch {
    found = false;
  }
  const missing = found ? null : `${what} not found: ${install}`;
  const ci = Deno.env.get("CI") === "true";
  if (missing && !ci) console.log(`skipping tests that need ${what}: ${install}`);
  return {
    ignore: missing !== null && !ci,
    check() {
      if (missing) throw new Error(missing);
    },
  };
}

const PRLIMIT = requires(
  "prlimit",
  () => new Deno.Command("prlimit", { args: ["--version"] }).outputSync().success,
  "install util-linux (apt-get install util-linux)",
);
const PROC = requires(
  "/proc (Linux)",
  () => Deno.statSync(`/proc/${Deno.pid}/fd`).isDirectory,
  "run these tests on Linux",
);

/** Descriptors the process `pid` has open now. */
function openDescriptors(pid: number): number {
  return [...Deno.readDirSync(`/proc/${pid}/fd`)].length;
}

/** Says hello on a new connection and expects a welcome. */
async function greeted(port: number): Promise<RawPeer> {
  const peer = await RawPeer.connect(port);
  await peer.send(HELLO);
  const reply = await peer.next();
  assert.equal(reply?.type, "welcome", JSON.stringify(reply));
  return peer;
}

/** Log lines of the server matching `pattern`. */
function logged(server: ChatServer, pattern: RegExp): string[] {
  return server.stdout.lines.filter((line) => pattern.test(line));
}

/** A raw connection made with node:net, which can choose its source address. */
class NetPeer implements Disposable {
  readonly #socket: net.Socket;
  readonly #decoder = new FrameDecoder();
  readonly #messages: Message[] = [];
  readonly #ended = Promise.withResolvers<void>();
  #wake: (() => void) | null = null;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on("data", (chunk: Uint8Array) => {
      this.#messages.push(...this.#decoder.push(chunk).map((body) => decodeMessage(body)));
      this.#wake?.();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      this.#ended.resolve();
      this.#wake?.();
    });
  }

  static connect(port: number, localAddress: string): Promise<NetPeer> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: "127.0.0.1", port, localAddress });
      socket.once("connect", () => resolve(new NetPeer(socket)));
      socket.once("error", reject);
    });
  }

  send(message: Message): void {
    this.#socket.write(encodeMessage(message));
  }

  /** The next message, or null once the server has closed the connection. */
  async next(ms = 5_000): Promise<Message | null> {
    return await withTimeout(
      (async () => {
        while (this.#messages.length === 0 && !this.#socket.destroyed) {
          await new Promise<void>((resolve) => this.#wake = resolve);
        }
        return this.#messages.shift() ?? null;
      })(),
      ms,
      "next frame from the server",
    );
  }

  [Symbol.dispose](): void {
    this.#socket.destroy();
  }
}

Deno.test({
  name: "serve under a descriptor limit: a burst past it is logged once and the server serves on",
  ignore: PRLIMIT.ignore,
  async fn() {
    PRLIMIT.check();
    // 80 descriptors, of which the runtime and storage use about 30; the cap is set far above.
    await using server = await startServer({
      under: ["prlimit", "--nofile=80:80", "--"],
      // Every line is asserted on: none may be left out for the log's rate.
      args: ["--max-connections", "1000", "--max-per-ip", "0", "--log-rate", "0"],
    });
    const burst: Deno.TcpConn[] = [];
    try {
      for (let i = 0; i < 150; i++) {
        burst.push(await Deno.connect({ hostname: "127.0.0.1", port: server.port }));
      }
      await server.stdout.waitFor((line) => line.includes("accept failed: "));
      // Hold the burst while the server's backoff (50 ms doubling) retries a few times: there is
      // no event to wait for in another process, so this one wait is on the clock.
      await new Promise((resolve) => setTimeout(resolve, 1_600));
    } finally {
      for (const conn of burst) conn.close();
    }
    const summary = await server.stdout.waitFor(
      (line) => /accept failed \d+ time\(s\) over .* s; accepting again$/.test(line),
      15_000,
    );
    const failures = Number(summary.match(/accept failed (\d+) time/)![1]);
    assert.ok(failures >= 4, `the accept kept failing while the burst was held: ${summary}`);
    const first = logged(server, /accept failed: /);
    assert.equal(first.length, 1, "the burst is logged once, not once per failure");
    assert.match(first[0]!, /Too many open files/);

    await using member = await joinClient(server.port, "ana");
    await member.writeLine("still here");
    await member.event((event) => event.type === "ack");
    // (Deno itself may warn on stderr that it could not open a file while none was left.)
    assert.doesNotMatch(server.stderr.text, /panicked|Uncaught/);
  },
});

Deno.test({
  name: "serve under a low descriptor limit: once it is reached, too_many_connections and a close",
  ignore: PRLIMIT.ignore,
  async fn() {
    PRLIMIT.check();
    // With the permissions `deno task serve` grants, the relay cannot read its descriptor limit
    // (/proc/self/limits needs --allow-all): the default cap of 1000 is far above 100, and the
    // relay learns the limit when it is reached.
    await using server = await startServer({
      under: ["prlimit", "--nofile=100:100", "--"],
      args: ["--max-per-ip", "0", "--log-rate", "0"],
    });
    const burst: Deno.TcpConn[] = [];
    let cap: number;
    try {
      for (let i = 0; i < 90; i++) {
        burst.push(await Deno.connect({ hostname: "127.0.0.1", port: server.port }));
      }
      const capped = await server.stdout.waitFor((line) => line.includes("capping connections at"));
      cap = Number(capped.match(/capping connections at (\d+)/)![1]);
      assert.ok(cap >= 30 && cap < 70, capped);
    } finally {
      for (const conn of burst) conn.close();
    }
    await server.stdout.waitFor((line) => line.includes("; accepting again"), 15_000);

    const members: RawPeer[] = [];
    try {
      for (let i = 0; i < cap; i++) members.push(await greeted(server.port));
      for (let i = 0; i < 3; i++) {
        using over = await RawPeer.connect(server.port);
        const refusal = await over.next();
        assert.ok(refusal?.type === "error", JSON.stringify(refusal));
        assert.equal(refusal.code, "too_many_connections");
        assert.equal(refusal.message, "The server has too many connections; try again later");
        assert.equal(refusal.fatal, true);
        assert.equal(await over.next(), null, "the refused connection is closed");
      }
      assert.equal(logged(server, /refused: connection limit reached/).length, 3);
      // The members let in are still served.
      await members[0]!.send({ type: "ping", token: 5 });
      assert.deepEqual(await members[0]!.next(), { type: "pong", token: 5 });
    } finally {
      for (const member of members) member[Symbol.dispose]();
    }
    assert.doesNotMatch(server.stderr.text, /panicked|Uncaught/);
  },
});

Deno.test("serve: 32 connections per address by default, the 33rd refused, other addresses served", async () => {
  await using server = await startServer();
  const members: RawPeer[] = [];
  try {
    for (let i = 0; i < 32; i++) members.push(await greeted(server.port));
    using over = await RawPeer.connect(server.port);
    const refusal = await over.next();
    assert.ok(refusal?.type === "error", JSON.stringify(refusal));
    assert.equal(refusal.code, "too_many_connections");
    assert.equal(
      refusal.message,
      "Too many connections from your address; close some and try again",
    );
    assert.equal(await over.next(), null, "the refused connection is closed");
    assert.equal(logged(server, /refused: its address holds its share/).length, 1);

    using neighbour = await NetPeer.connect(server.port, "127.0.0.2");
    neighbour.send(HELLO);
    assert.equal((await neighbour.next())?.type, "welcome");
  } finally {
    for (const member of members) member[Symbol.dispose]();
  }
});

Deno.test("serve --tls: a connection over the per-address cap is told so over TLS", async () => {
  await using server = await startServer({ args: ["--tls", "--max-per-ip", "2"] });
  await server.stdout.waitFor((line) => line.startsWith("messages stored in"));
  const target = { host: "127.0.0.1", port: server.port, timeoutMs: 5_000 };
  const held = [];
  try {
    // Sockets count from accept: a finished handshake is enough to hold a place.
    for (let i = 0; i < 2; i++) {
      held.push(new NodeTlsConnection((await connectTls(target)).socket, "relay"));
    }
    const over = new NodeTlsConnection((await connectTls(target)).socket, "relay");
    const received: Message[] = [];
    for await (const frame of over.frames()) received.push(decodeMessage(frame));
    await over.close();
    assert.equal(received.length, 1, JSON.stringify(received));
    const refusal = received[0]!;
    assert.ok(refusal.type === "error" && refusal.code === "too_many_connections");
    assert.equal(
      refusal.message,
      "Too many connections from your address; close some and try again",
    );
  } finally {
    for (const connection of held) await connection.close();
  }
});

Deno.test({
  name: "serve --tls: stalled and dropped handshakes are closed and leave no descriptor behind",
  ignore: PROC.ignore,
  async fn() {
    PROC.check();
    await using server = await startServer({
      args: ["--tls", "--tls-handshake-seconds", "1", "--max-per-ip", "0", "--log-rate", "0"],
    });
    await server.stdout.waitFor((line) => line.startsWith("messages stored in"));
    const pid = server.child.pid;
    // One full handshake first, so that whatever the runtime opens once is in the baseline.
    await using member = await joinClient(server.port, "ana", { args: ["--tls"] });
    await member.closeInput();
    await member.finished();
    await server.stdout.waitFor((line) => line.includes("disconnected"));
    const baseline = openDescriptors(pid);

    const started = performance.now();
    const silent: Deno.TcpConn[] = [];
    const halfHello: Deno.TcpConn[] = [];
    for (let i = 0; i < 20; i++) {
      silent.push(await Deno.connect({ hostname: "127.0.0.1", port: server.port }));
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      await conn.write(HALF_HELLO);
      halfHello.push(conn);
    }
    // Ordinary clients that give up in the middle of their handshake.
    for (let i = 0; i < 10; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      await conn.write(HALF_HELLO);
      conn.close();
    }
    const stalled = [...silent, ...halfHello];
    try {
      const closedAfter = await withTimeout(
        Promise.all(stalled.map(async (conn) => {
          const buffer = new Uint8Array(1024);
          while ((await conn.read(buffer).catch(() => null)) !== null) { /* until closed */ }
          return performance.now() - started;
        })),
        10_000,
        "the server closing stalled handshakes",
      );
      assert.ok(Math.min(...closedAfter) >= 900, "closed by the 1 s deadline, not before");
    } finally {
      for (const conn of stalled) conn.close();
    }
    // Each line is logged once its socket is closed.
    let timedOut = 0;
    await server.stdout.waitFor((line) =>
      line.includes("TLS handshake timed out") && ++timedOut === 40
    );
    let dropped = 0;
    await server.stdout.waitFor((line) =>
      line.includes("TLS handshake failed: closed during the handshake") && ++dropped === 10
    );
    assert.equal(openDescriptors(pid), baseline, "descriptors back to the baseline");
  },
});

Deno.test("serve --help states the socket limits and their defaults; bad values are usage errors", async () => {
  await using help = await spawnChat(["serve", "--help"], { input: false });
  assert.equal((await help.finished()).code, 0);
  const text = help.stdout.text;
  assert.match(text, /--max-connections N .*\(default: the\s+open-file limit less 64 .*else 1000/s);
  assert.match(text, /0 turns a limit off.*--max-per-ip N .*\(default 32\)/s);
  assert.match(text, /--tls-handshake-seconds S\s+time a TLS client has .*\(default 10\)/s);
  const cases: [string[], RegExp][] = [
    [["--max-connections", "0"], /Invalid --max-connections "0": use a whole number from 1/],
    [["--max-per-ip", "some"], /Invalid --max-per-ip "some": use a whole number from 0/],
    [["--tls-handshake-seconds", "0"], /Invalid --tls-handshake-seconds "0"/],
    [["--tls-handshake-seconds", "soon"], /Invalid --tls-handshake-seconds "soon"/],
  ];
  for (const [args, pattern] of cases) {
    await using chat = await spawnChat(["serve", "--data", ":memory:", "--port", "0", ...args], {
      input: false,
    });
    assert.equal((await chat.finished()).code, 2, args.join(" "));
    assert.match(chat.stderr.text, pattern);
  }
});
