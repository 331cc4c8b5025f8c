/**
 * End-to-end TLS: real servers with --tls, --cert and --key, real clients with --tls, --ca and
 * --fingerprint, certificates made by the very openssl commands docs/TLS.md gives, and openssl
 * s_client probing the server from outside.
 */
import assert from "node:assert/strict";
import { EXIT } from "../../client/errors.ts";
import { join } from "node:path";
import { createSelfSigned } from "../../transport/tls_certificate.ts";
import {
  chatFlags,
  type ChatServer,
  joinClient,
  spawnChat,
  startServer,
  withTimeout,
} from "./harness.ts";
import { TestProxy } from "./proxy.ts";

const DOCS = new URL("../../docs/TLS.md", import.meta.url);

/** Waits until a server has printed everything it prints on starting. */
async function started(server: ChatServer): Promise<string> {
  await server.stdout.waitFor((text) => text.startsWith("messages stored in"));
  return server.stdout.text;
}

/** The fingerprint a TLS server printed after its "listening on" line. */
async function printedFingerprint(server: ChatServer): Promise<string> {
  await started(server);
  const line = server.stdout.lines.find((text) => text.startsWith("TLS certificate fingerprint"));
  return line!.split(" ").pop()!;
}

/** Runs a command to completion; throws with its output when it fails. */
async function run(
  command: string,
  args: string[],
  options: { cwd?: string; stdin?: string } = {},
) {
  const child = new Deno.Command(command, {
    args,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const output = await withTimeout(child.output(), 20_000, `${command} ${args.join(" ")}`);
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/**
 * Runs the shell block docs/TLS.md marks `<!-- tested: NAME -->` in `dir`, with the example
 * address 10.0.0.5 replaced by the loopback address the tests use.
 */
async function runDocumented(name: string, dir: string): Promise<void> {
  const docs = await Deno.readTextFile(DOCS);
  const block = docs.match(
    new RegExp(`<!-- tested: ${name} -->\\n\\n\`\`\`sh\\n([\\s\\S]*?)\`\`\``),
  );
  assert.ok(block, `docs/TLS.md has a tested "${name}" block`);
  const script = block[1]!.replaceAll("10.0.0.5", "127.0.0.1");
  const result = await run("bash", ["-euo", "pipefail", "-s"], { cwd: dir, stdin: script });
  assert.equal(result.code, 0, `docs/TLS.md "${name}" block failed:\n${result.stderr}`);
}

async function tempDir(label: string) {
  const path = await Deno.makeTempDir({ prefix: `chat-e2e-${label}-` });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

Deno.test("join --tls: members talk, and the wire shows no text, names or room", async () => {
  const secret = "the eagle lands at midnight";
  const room = "operations-room";
  await using server = await startServer({ args: ["--tls"] });
  const fingerprint = await printedFingerprint(server);
  assert.match(server.stdout.lines[0]!, /^listening on 127\.0\.0\.1:\d+$/);
  await using proxy = new TestProxy(server.port);
  await using ana = await joinClient(proxy.port, "anastasia", { room, args: ["--tls"] });
  await using bob = await joinClient(proxy.port, "bartholomew", {
    room,
    args: ["--fingerprint", fingerprint],
  });
  // A new server in a pipe: trusted, recorded, and its fingerprint shown to compare.
  assert.ok(
    ana.stderr.text.includes(`trusting new server 127.0.0.1:${proxy.port}`),
    ana.stderr.text,
  );
  assert.ok(ana.stderr.text.includes(fingerprint));
  const knownHosts = await Deno.readTextFile(join(ana.ownConfigHome!, "chat", "known_hosts"));
  assert.equal(knownHosts, `127.0.0.1:${proxy.port} ${fingerprint}\n`);
  assert.ok(!bob.stderr.text.includes("trusting new server"), "a pinned server needs no trust");

  await ana.writeLine(secret);
  assert.equal((await bob.event((event) => event.type === "message")).text, secret);
  await ana.event((event) => event.type === "ack");
  await bob.writeLine("copy that");
  assert.equal((await ana.event((event) => event.type === "message")).from, "bartholomew");
  await ana.closeInput();
  await bob.closeInput();
  assert.equal((await ana.finished()).code, 0);
  assert.equal((await bob.finished()).code, 0);

  const wire = proxy.recorded();
  assert.ok(wire.length > 2_000, "the proxy recorded the session");
  assert.equal(wire[0], 0x16, "the first byte on the wire opens a TLS handshake record");
  const latin1 = new TextDecoder("latin1").decode(wire);
  for (const text of [secret, "eagle", "copy that", "anastasia", "bartholomew", room, "chat/"]) {
    assert.ok(!latin1.includes(text), `"${text}" on the wire`);
  }
});

Deno.test("join --tls: a server restarted with a new certificate is refused", async () => {
  await using data = await tempDir("data");
  await using config = await tempDir("config");
  const [dataDir, configHome] = [data.path, config.path];
  const knownHostsFile = join(configHome, "chat", "known_hosts");
  let server = await startServer({ dataDir, args: ["--tls"] });
  const port = server.port;
  const first = await printedFingerprint(server);
  await using ana = await joinClient(port, "ana", { configHome, args: ["--tls"] });

  // The same data directory keeps the same certificate: a restart is only a reconnect.
  await server.stop();
  await server[Symbol.asyncDispose]();
  server = await startServer({ dataDir, port, args: ["--tls"] });
  assert.equal(await printedFingerprint(server), first);
  assert.match(await started(server), /TLS certificate from .*cert\.pem/);
  await ana.event((event) => event.type === "reconnected", 20_000);
  await ana.writeLine("after the restart");
  await ana.count((event) => event.type === "ack", 1);

  // A new certificate on the same port: the running client stops instead of reconnecting.
  await server.stop();
  await server[Symbol.asyncDispose]();
  await Deno.remove(join(dataDir, "tls"), { recursive: true });
  server = await startServer({ dataDir, port, args: ["--tls"] });
  try {
    const second = await printedFingerprint(server);
    assert.notEqual(second, first);
    assert.equal((await ana.finished(30_000)).code, EXIT.trust);
    assert.match(ana.stderr.text, /CHANGED since this session connected/);
    assert.ok(ana.stderr.text.includes(`before:  ${first}`), ana.stderr.text);
    assert.ok(ana.stderr.text.includes(`offered: ${second}`), ana.stderr.text);

    // A fresh join is refused too, naming the line to remove.
    await using again = await joinClient(port, "ana", {
      configHome,
      args: ["--tls"],
      waitReady: false,
    });
    assert.equal((await again.finished()).code, EXIT.trust);
    assert.match(again.stderr.text, /has CHANGED/);
    assert.ok(again.stderr.text.includes(`known:   ${first} (line 1 of ${knownHostsFile})`));
    assert.ok(again.stderr.text.includes(`offered: ${second}`));
    assert.ok(again.stderr.text.includes(`remove line 1 of ${knownHostsFile}`));
    assert.ok(!again.stdout.text.includes("ready"));

    // Joining once with the new fingerprint replaces the stale line. (The relay holds the name
    // "ana" for the session that dropped, so this is another name.)
    await using fixed = await joinClient(port, "ana2", {
      configHome,
      args: ["--fingerprint", second],
    });
    assert.match(fixed.stderr.text, /replaced the known certificate of 127\.0\.0\.1:\d+/);
    assert.equal(await Deno.readTextFile(knownHostsFile), `127.0.0.1:${port} ${second}\n`);
  } finally {
    await server[Symbol.asyncDispose]();
  }
});

Deno.test("join --fingerprint: a mismatch is refused before anything is sent", async () => {
  // A bare TLS server that records every byte the client sends after the handshake.
  const pair = await createSelfSigned(["127.0.0.1"]);
  const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, ...pair });
  const received = (async () => {
    const conn = await listener.accept();
    let total = 0;
    const buffer = new Uint8Array(4096);
    try {
      for (let count = await conn.read(buffer); count !== null; count = await conn.read(buffer)) {
        total += count;
      }
    } catch {
      // The client hung up without a TLS goodbye: what matters is what came before.
    }
    conn.close();
    return total;
  })();
  const wrong = "SHA256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0";
  try {
    await using client = await joinClient((listener.addr as Deno.NetAddr).port, "ana", {
      args: ["--fingerprint", wrong],
      waitReady: false,
    });
    assert.equal((await client.finished()).code, EXIT.trust);
    assert.match(client.stderr.text, /is not the one --fingerprint names/);
    assert.ok(client.stderr.text.includes(`expected ${wrong}`));
    assert.match(client.stderr.text, /Nothing was sent/);
    assert.equal(await withTimeout(received, 10_000, "server side"), 0, "bytes the client sent");
  } finally {
    listener.close();
  }
});

Deno.test("serve --cert/--key: the documented openssl recipes work with --fingerprint and --ca", async () => {
  await using temp = await tempDir("openssl");
  const dir = temp.path;
  await Deno.mkdir(join(dir, "self-signed"));
  await Deno.mkdir(join(dir, "ca"));
  await runDocumented("self-signed", join(dir, "self-signed"));
  await runDocumented("ca", join(dir, "ca"));

  // Self-signed: the fingerprint openssl prints is the one the server prints and clients pin.
  const selfSigned = join(dir, "self-signed");
  const opensslPrint = await run("openssl", [
    "x509",
    "-in",
    join(selfSigned, "cert.pem"),
    "-noout",
    "-fingerprint",
    "-sha256",
  ]);
  await using plain = await startServer({
    args: ["--cert", join(selfSigned, "cert.pem"), "--key", join(selfSigned, "key.pem")],
  });
  const hex = opensslPrint.stdout.trim().split("=")[1]!;
  assert.ok((await started(plain)).includes(`(as openssl prints it: ${hex})`), plain.stdout.text);
  await using pinned = await joinClient(plain.port, "ana", {
    args: ["--fingerprint", opensslPrint.stdout.trim()],
  });
  assert.equal(pinned.stderr.text.includes("trusting new server"), false);

  // A certificate signed by a small CA: --ca accepts it without asking or recording anything.
  const ca = join(dir, "ca");
  await using signed = await startServer({
    args: ["--cert", join(ca, "cert.pem"), "--key", join(ca, "key.pem")],
  });
  await signed.stdout.waitFor((line) => line.includes("--name NAME"));
  assert.match(signed.stdout.text, /TLS certificate from .* for chat\.lan, 127\.0\.0\.1/);
  assert.ok(!signed.stdout.text.includes("warning"), signed.stdout.text);
  assert.match(signed.stdout.text, /chat join 127\.0\.0\.1:\d+ --tls --name NAME/);
  await using member = await joinClient(signed.port, "bob", {
    args: ["--ca", join(ca, "ca.pem")],
  });
  assert.ok(!member.stderr.text.includes("trusting"), member.stderr.text);
  await member.writeLine("signed and sealed");
  await member.event((event) => event.type === "ack");
  await assert.rejects(Deno.stat(join(member.ownConfigHome!, "chat", "known_hosts")));

  // The wrong CA (the self-signed certificate is not one that signed this server): refused.
  await using stranger = await joinClient(signed.port, "cy", {
    args: ["--ca", join(selfSigned, "cert.pem")],
    waitReady: false,
  });
  assert.equal((await stranger.finished()).code, EXIT.trust);
  assert.match(stranger.stderr.text, /is not trusted under --ca .*cert\.pem/);
});

Deno.test("serve --cert: a CA certificate (bare openssl req -x509) is served with a warning", async () => {
  await using temp = await tempDir("bare");
  const dir = temp.path;
  const made = await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-days",
    "30",
    "-keyout",
    "key.pem",
    "-out",
    "cert.pem",
    "-subj",
    "/CN=chat",
  ], { cwd: dir });
  assert.equal(made.code, 0, made.stderr);
  await using server = await startServer({
    args: ["--cert", join(dir, "cert.pem"), "--key", join(dir, "key.pem")],
  });
  assert.match(await started(server), /warning: .* is a CA certificate .*CaUsedAsEndEntity/);
});

Deno.test("serve --tls: only TLS 1.2 and 1.3, proved with openssl s_client", async () => {
  await using server = await startServer({ args: ["--tls", "--data", ":memory:"] });
  assert.match(await started(server), /made a TLS certificate for this run only/);
  const probe = (version: string, extra: string[] = []) =>
    run("openssl", [
      "s_client",
      "-connect",
      `127.0.0.1:${server.port}`,
      `-${version}`,
      ...extra,
    ], { stdin: "" });
  for (const version of ["tls1_2", "tls1_3"]) {
    const result = await probe(version);
    assert.equal(result.code, 0, `${version}: ${result.stderr}`);
    const protocol = version === "tls1_2" ? "TLSv1.2" : "TLSv1.3";
    assert.match(result.stdout, new RegExp(`New, ${protocol.replace(".", "\\.")}, Cipher is `));
  }
  // The client is told to allow the old versions (security level 0), sends its hello, and the
  // server answers with a handshake alert: the server is the one refusing.
  for (const version of ["tls1", "tls1_1"]) {
    const result = await probe(version, ["-cipher", "DEFAULT@SECLEVEL=0"]);
    assert.notEqual(result.code, 0, version);
    const output = result.stdout + result.stderr;
    assert.match(output, /SSL alert number (40|70)/, `${version}: a handshake alert\n${output}`);
    assert.match(output, /New, \(NONE\), Cipher is \(NONE\)/, version);
    const written = Number(output.match(/written (\d+) bytes/)?.[1]);
    assert.ok(written > 0, `${version}: the client sent a hello`);
  }
});

Deno.test("join: TLS and plain TCP that do not match say which to use", async () => {
  await using plainServer = await startServer();
  await using tlsClient = await joinClient(plainServer.port, "ana", {
    args: ["--tls"],
    waitReady: false,
  });
  assert.equal((await tlsClient.finished()).code, EXIT.trust);
  assert.match(
    tlsClient.stderr.text,
    /^chat: 127\.0\.0\.1:\d+ is a chat server without TLS: join without --tls/m,
  );

  await using tlsServer = await startServer({ args: ["--tls"] });
  await using plainClient = await joinClient(tlsServer.port, "ana", { waitReady: false });
  assert.equal((await plainClient.finished()).code, EXIT.trust);
  assert.match(plainClient.stderr.text, /^chat: 127\.0\.0\.1:\d+ speaks TLS: add --tls$/m);
});

Deno.test("TLS flags: bad combinations are usage errors, unreadable files one-line errors", async () => {
  const cases: [string[], number, RegExp][] = [
    [["serve", "--data", ":memory:", "--cert", "cert.pem"], 2, /--cert and --key go together/],
    [["serve", "--data", ":memory:", "--key", "key.pem"], 2, /--cert and --key go together/],
    [["join", "127.0.0.1:1", "--name", "ana", "--fingerprint", "abc"], 2, /Invalid --fingerprint/],
    [
      ["serve", "--data", ":memory:", "--port", "0", "--cert", "/no/c.pem", "--key", "/no/k.pem"],
      1,
      /Cannot read --cert/,
    ],
    [
      ["join", "127.0.0.1:1", "--name", "ana", "--ca", "/nonexistent/ca.pem"],
      1,
      /Cannot read --ca/,
    ],
  ];
  for (const [args, code, pattern] of cases) {
    await using chat = await spawnChat(args, { env: { CHAT_PASSPHRASE: "x" }, input: false });
    const status = await chat.finished();
    assert.equal(status.code, code, args.join(" "));
    assert.match(chat.stderr.text, pattern, args.join(" "));
  }
});

/** A tmux server of our own running one command in a pane, for answering a prompt. */
class Pane implements AsyncDisposable {
  readonly socket = `chat-tls-${crypto.randomUUID().slice(0, 8)}`;

  async tmux(...args: string[]): Promise<string> {
    const output = await new Deno.Command("tmux", { args: ["-L", this.socket, ...args] }).output();
    if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
    return new TextDecoder().decode(output.stdout);
  }

  /** Runs `words` in a 100x30 pane; the pane prints EXIT=code and stays when it ends. */
  async start(words: string[], env: Record<string, string>): Promise<void> {
    const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
    const command = [
      "env",
      ...Object.entries(env).map(([name, value]) => quote(`${name}=${value}`)),
      ...words.map(quote),
    ].join(" ");
    await this.tmux(
      "new-session",
      "-d",
      "-s",
      "p",
      "-x",
      "100",
      "-y",
      "30",
      "sh",
      "-c",
      `${command}; echo EXIT=$?; sleep 60`,
    );
  }

  /** Waits until the screen matches; a terminal has no event for that, so it re-reads it. */
  async waitFor(pattern: RegExp, ms = 15_000): Promise<string> {
    let screen = "";
    try {
      return await withTimeout(
        (async () => {
          while (!pattern.test(screen = await this.tmux("capture-pane", "-p", "-J", "-t", "p"))) {
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
          return screen;
        })(),
        ms,
        `screen never matched ${pattern}`,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- screen ---\n${screen}`);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.tmux("kill-server").catch(() => {});
  }
}

Deno.test("join --tls on a terminal asks before trusting a new server", async () => {
  await using server = await startServer({ args: ["--tls"] });
  const fingerprint = await printedFingerprint(server);
  await using config = await tempDir("config");
  const knownHosts = join(config.path, "chat", "known_hosts");
  const words = [
    Deno.execPath(),
    "run",
    ...await chatFlags(),
    new URL("../../main.ts", import.meta.url).pathname,
    "join",
    `127.0.0.1:${server.port}`,
    "--tls",
    "--name",
    "ana",
  ];
  const env = {
    NO_COLOR: "1",
    XDG_CONFIG_HOME: config.path,
    XDG_STATE_HOME: `${config.path}/state`,
    CHAT_PASSPHRASE: "plum orbit canvas",
  };

  {
    await using pane = new Pane();
    await pane.start(words, env);
    const asked = await pane.waitFor(/Trust this server\? \[y\/N\]/);
    assert.ok(asked.includes(fingerprint), asked);
    assert.match(asked, /TLS certificate is self-signed/);
    await pane.tmux("send-keys", "-t", "p", "n", "Enter");
    const refused = await pane.waitFor(/EXIT=\d+/);
    assert.match(refused, /Not trusting 127\.0\.0\.1:\d+; nothing was sent/);
    assert.match(refused, new RegExp(`EXIT=${EXIT.trust}`));
    await assert.rejects(Deno.stat(knownHosts));
  }
  {
    await using pane = new Pane();
    await pane.start(words, env);
    await pane.waitFor(/Trust this server\? \[y\/N\]/);
    await pane.tmux("send-keys", "-t", "p", "y", "Enter");
    await pane.waitFor(/Joined lobby as ana/);
    assert.equal(await Deno.readTextFile(knownHosts), `127.0.0.1:${server.port} ${fingerprint}\n`);
    await pane.tmux("send-keys", "-t", "p", "/quit", "Enter");
    assert.match(await pane.waitFor(/EXIT=\d+/), /EXIT=0/);
  }
  {
    // Known now: no question.
    await using pane = new Pane();
    await pane.start(words, env);
    const screen = await pane.waitFor(/Joined lobby as ana/);
    assert.ok(!screen.includes("Trust this server"), screen);
    await pane.tmux("send-keys", "-t", "p", "/quit", "Enter");
    // Gone before its config directory is: leaving saves what it remembers of the room.
    assert.match(await pane.waitFor(/EXIT=\d+/), /EXIT=0/);
  }
});
