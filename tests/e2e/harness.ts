/**
 * Runs the real program as processes for end-to-end tests: a server on port 0 and clients in
 * line mode, with the same permission flags `deno task serve` and `deno task join` use.
 */
import { decodeMessage, encodeMessage, FrameDecoder, type Message } from "../../protocol.ts";

const ROOT = new URL("../../", import.meta.url);
const MAIN = new URL("main.ts", ROOT).pathname;
const encoder = new TextEncoder();

/** The `deno run` flags of the `chat` task in deno.json, so tests run what users run. */
export async function chatFlags(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const task: string = config.tasks.chat;
  const words = task.split(/\s+/);
  return words.slice(words.indexOf("run") + 1, words.indexOf("main.ts"));
}

/** Rejects with a labelled error when `promise` takes longer than `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${label}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Collects a process's output line by line and lets tests wait for a line. */
class LineLog {
  readonly lines: string[] = [];
  readonly done: Promise<void>;
  #waiters: (() => void)[] = [];

  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = this.#collect(stream);
  }

  get text(): string {
    return this.lines.join("\n");
  }

  async waitFor(predicate: (line: string) => boolean, ms = 10_000): Promise<string> {
    return await withTimeout(
      (async () => {
        for (let seen = 0;; seen++) {
          while (seen >= this.lines.length) {
            await new Promise<void>((resolve) => this.#waiters.push(resolve));
          }
          if (predicate(this.lines[seen]!)) return this.lines[seen]!;
        }
      })(),
      ms,
      `waiting for a line; got so far:\n${this.text}`,
    );
  }

  async #collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    let partial = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      this.lines.push(...parts);
      for (const wake of this.#waiters.splice(0)) wake();
    }
    if (partial) this.lines.push(partial);
    for (const wake of this.#waiters.splice(0)) wake();
  }
}

/** A running program: its output logs, and a way to wait for its exit. */
export class ChatProcess implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly stdout: LineLog;
  readonly stderr: LineLog;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array> | null;

  constructor(child: Deno.ChildProcess, pipedInput: boolean) {
    this.child = child;
    this.stdout = new LineLog(child.stdout);
    this.stderr = new LineLog(child.stderr);
    this.#stdin = pipedInput ? child.stdin.getWriter() : null;
  }

  /** Writes one line to the program's input. */
  async writeLine(text: string): Promise<void> {
    await this.#stdin!.write(encoder.encode(`${text}\n`));
  }

  /** Closes the program's input: end of input for line mode. */
  async closeInput(): Promise<void> {
    await this.#stdin?.close().catch(() => {});
  }

  /** Waits for exit and all output. */
  async finished(ms = 15_000): Promise<Deno.CommandStatus> {
    const status = await withTimeout(this.child.status, ms, "process exit");
    await Promise.all([this.stdout.done, this.stderr.done]);
    return status;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.closeInput();
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await this.child.status;
    await Promise.all([this.stdout.done, this.stderr.done]);
  }
}

/** `setsid`, which starts a program with no controlling terminal, when this system has it. */
function setsid(): string | null {
  try {
    new Deno.Command("setsid", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync();
    return "setsid";
  } catch {
    return null;
  }
}

/**
 * Starts `main.ts` with `args`. `noTerminal`: in a session of its own, with no controlling
 * terminal, so a test run from a terminal sees what CI sees (chat asks on /dev/tty otherwise).
 */
export async function spawnChat(
  args: string[],
  options: { env?: Record<string, string>; input?: boolean; noTerminal?: boolean } = {},
): Promise<ChatProcess> {
  const detach = options.noTerminal ? setsid() : null;
  const words = ["run", ...await chatFlags(), MAIN, ...args];
  const child = new Deno.Command(detach ?? Deno.execPath(), {
    args: detach ? ["-w", Deno.execPath(), ...words] : words,
    env: { NO_COLOR: "1", ...options.env },
    stdin: options.input === false ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return new ChatProcess(child, options.input !== false);
}

/** A server on a free loopback port. */
export class ChatServer extends ChatProcess {
  port = 0;
  /** A data directory the harness made for this server alone, removed on dispose. */
  ownDataDir: string | null = null;

  /** Stops the server with SIGTERM and returns its exit status. */
  async stop(): Promise<Deno.CommandStatus> {
    this.child.kill("SIGTERM");
    return await this.finished();
  }

  override async [Symbol.asyncDispose](): Promise<void> {
    await super[Symbol.asyncDispose]();
    if (this.ownDataDir) await Deno.remove(this.ownDataDir, { recursive: true });
  }
}

/**
 * Starts a server on 127.0.0.1 and waits for its "listening on" line. Without `dataDir` it gets
 * a fresh data directory of its own, so tests never share state or touch the user's.
 */
export async function startServer(
  options: {
    port?: number;
    dataDir?: string;
    args?: string[];
    /** A command the server runs under, e.g. ["prlimit", "--nofile=80:80", "--"]. */
    under?: string[];
  } = {},
): Promise<ChatServer> {
  const ownDataDir = options.dataDir ? null : await Deno.makeTempDir({ prefix: "chat-e2e-" });
  const [command = Deno.execPath(), ...prefix] = [...options.under ?? [], Deno.execPath()];
  const child = new Deno.Command(command, {
    args: [
      ...prefix,
      "run",
      ...await chatFlags(),
      MAIN,
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      String(options.port ?? 0),
      "--data",
      options.dataDir ?? ownDataDir!,
      ...options.args ?? [],
    ],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const server = new ChatServer(child, false);
  server.ownDataDir = ownDataDir;
  const line = await server.stdout.waitFor((text) => text.startsWith("listening on "));
  server.port = Number(line.split(":").pop());
  return server;
}

/** One event a client printed with --json. */
export type JsonEvent = Record<string, unknown> & { type: string };

/** A client in line mode with --json. */
export class ChatClient extends ChatProcess {
  /** A config directory (identity key, known keys) made for this client alone. */
  ownConfigHome: string | null = null;

  override async [Symbol.asyncDispose](): Promise<void> {
    await super[Symbol.asyncDispose]();
    if (this.ownConfigHome) await Deno.remove(this.ownConfigHome, { recursive: true });
  }

  /** The next JSON event matching `predicate`, searching from the start of output. */
  async event(predicate: (event: JsonEvent) => boolean, ms = 10_000): Promise<JsonEvent> {
    const line = await this.stdout.waitFor((text) => {
      try {
        return predicate(JSON.parse(text));
      } catch {
        return false;
      }
    }, ms);
    return JSON.parse(line);
  }

  /** Waits until `count` events matching `predicate` have been printed. */
  async count(predicate: (event: JsonEvent) => boolean, count: number, ms = 10_000) {
    let seen = 0;
    await this.stdout.waitFor((text) => {
      try {
        return predicate(JSON.parse(text)) && ++seen >= count;
      } catch {
        return false;
      }
    }, ms);
  }

  /** Every JSON event printed so far. */
  events(): JsonEvent[] {
    return this.stdout.lines.filter((line) => line.startsWith("{")).map((line) => JSON.parse(line));
  }
}

/** Joins `room` as `name` through `port` (with --json unless told), and waits until it is ready. */
export async function joinClient(
  port: number,
  name: string,
  options: {
    room?: string;
    passphrase?: string;
    waitReady?: boolean;
    args?: string[];
    /** XDG_CONFIG_HOME for the client: who it is. A fresh one of its own when not given. */
    configHome?: string;
    /** Print JSON events (the default), or human lines. */
    json?: boolean;
    /** Create the room if it does not exist (--create; the default), as a room's first bot must. */
    create?: boolean;
    /** More environment variables. */
    env?: Record<string, string>;
  } = {},
): Promise<ChatClient> {
  const ownConfigHome = options.configHome
    ? null
    : await Deno.makeTempDir({ prefix: "chat-e2e-config-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...await chatFlags(),
      MAIN,
      "join",
      `127.0.0.1:${port}`,
      "--name",
      name,
      "--room",
      options.room ?? "lobby",
      ...(options.json ?? true) ? ["--json"] : [],
      ...(options.create ?? true) ? ["--create"] : [],
      ...options.args ?? [],
    ],
    env: {
      NO_COLOR: "1",
      CHAT_PASSPHRASE: options.passphrase ?? "correct horse battery staple",
      XDG_CONFIG_HOME: options.configHome ?? ownConfigHome!,
      // What the client remembers of rooms goes with who it is, never to the developer's home.
      XDG_STATE_HOME: `${options.configHome ?? ownConfigHome!}/state`,
      ...options.env,
    },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const client = new ChatClient(child, true);
  client.ownConfigHome = ownConfigHome;
  if (options.waitReady ?? true) {
    if (options.json ?? true) await client.event((event) => event.type === "ready", 20_000);
    else await client.stderr.waitFor((line) => line.startsWith("Joined "), 20_000);
  }
  return client;
}

/** A raw TCP connection speaking frames, for sending what no honest client would. */
export class RawPeer implements Disposable {
  readonly conn: Deno.TcpConn;
  readonly #decoder = new FrameDecoder();
  readonly #buffer = new Uint8Array(65536);
  #frames: Uint8Array[] = [];

  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  static async connect(port: number): Promise<RawPeer> {
    return new RawPeer(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  async write(bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.length) written += await this.conn.write(bytes.subarray(written));
  }

  async send(message: Message): Promise<void> {
    await this.write(encodeMessage(message));
  }

  /** The next message from the server, or null when it closes the connection. */
  async next(ms = 5_000): Promise<Message | null> {
    return await withTimeout(
      (async () => {
        while (this.#frames.length === 0) {
          const count = await this.conn.read(this.#buffer).catch(() => null);
          if (count === null) return null;
          this.#frames.push(...this.#decoder.push(this.#buffer.subarray(0, count)));
        }
        return decodeMessage(this.#frames.shift()!);
      })(),
      ms,
      "next frame from the server",
    );
  }

  /** Reads until the server closes; returns what arrived. */
  async drain(ms = 5_000): Promise<Message[]> {
    const messages: Message[] = [];
    for (let message = await this.next(ms); message; message = await this.next(ms)) {
      messages.push(message);
    }
    return messages;
  }

  [Symbol.dispose](): void {
    try {
      this.conn.close();
    } catch {
      // Closed by the server already.
    }
  }
}
