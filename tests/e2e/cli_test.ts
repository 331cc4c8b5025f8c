/** The command line from outside: help, version, usage errors and the passphrase generator. */
import assert from "node:assert/strict";
import { spawnChat } from "./harness.ts";

async function run(args: string[], env: Record<string, string> = {}) {
  // Without a controlling terminal, as under CI: nothing may be asked on /dev/tty.
  // No config file of the developer's either.
  const home = {
    XDG_CONFIG_HOME: "/nonexistent/chat-test",
    XDG_STATE_HOME: "/nonexistent/chat-test",
  };
  await using chat = await spawnChat(args, {
    env: { ...home, ...env },
    input: false,
    noTerminal: true,
  });
  const status = await chat.finished();
  return { code: status.code, stdout: chat.stdout.text, stderr: chat.stderr.text };
}

Deno.test("chat --help and <command> --help exit 0 with usage on stdout", async () => {
  for (
    const args of [
      ["--help"],
      ["-h"],
      ["serve", "--help"],
      ["join", "--help"],
      ["passphrase", "--help"],
      ["rooms", "--help"],
    ]
  ) {
    const result = await run(args);
    assert.equal(result.code, 0, args.join(" "));
    assert.match(result.stdout, /Usage/, args.join(" "));
    assert.equal(result.stderr, "");
  }
});

Deno.test("serve --help lists every limit with its default", async () => {
  const { stdout } = await run(["serve", "--help"]);
  const flags = [
    "--max-connections",
    "--max-per-ip N        connections from one address (an IPv6 /64) at once (default 32)",
    "--tls-handshake-seconds",
    "--max-unjoined N      connections in no room at once (default 256)",
    "--join-timeout S      seconds a connection may stay in no room (default 60)",
    "--max-guesses",
    "--rooms A,B",
    "--max-rooms N         rooms the relay holds (default 10000)",
    "--room-rate N         rooms one address may create per hour (default 10)",
    "--room-expiry",
    "--send-rate",
    "--send-kbps",
    "--ip-mb-per-hour N    MiB all connections from one address may send an hour",
    "--room-quota-mb N     sealed messages one room keeps, oldest dropped first (default 64)",
    "--max-storage-mb N    cap on the database size (default 1024)",
    "--log-rate N          log lines written per second; past it they are counted (default 200)",
  ];
  for (const flag of flags) assert.ok(stdout.includes(flag), `serve --help lacks ${flag}`);
});

Deno.test("chat --version prints the version", async () => {
  const result = await run(["--version"]);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /^chat \d+\.\d+\.\d+$/);
});

Deno.test("usage errors exit 2 with one line, the help to read, and a guess at a typo", async () => {
  const cases: [string[], RegExp, string][] = [
    [[], /^chat: Missing command$/, "chat --help"],
    [["fly"], /^chat: Unknown command "fly"$/, "chat --help"],
    [["jion"], /^chat: Unknown command "jion"; did you mean join\?$/, "chat --help"],
    [["serve", "--port", "99999"], /Invalid port "99999"/, "chat serve --help"],
    [["serve", "--bogus"], /^chat: Unknown option --bogus$/, "chat serve --help"],
    [["serve", "--prot", "1"], /Unknown option --prot; did you mean --port\?/, "chat serve --help"],
    [["join", "--name", "ana"], /Missing HOST/, "chat join --help"],
    [
      ["join", "h", "--nmae", "ana"],
      /Unknown option --nmae; did you mean --name\?$/,
      "chat join --help",
    ],
    [["join", "h", "--name"], /^chat: --name needs a value$/, "chat join --help"],
    [["join", "h", "--json=x"], /^chat: --json takes no value$/, "chat join --help"],
    [["join", "127.0.0.1", "--name", "ana", "--room", "a b"], /Invalid room/, "chat join --help"],
    [["join", "127.0.0.1:x", "--name", "ana"], /Invalid port "x"/, "chat join --help"],
    [
      ["join", "h:1", "-p", "2", "-n", "ana"],
      /Two ports given: 1 in "h:1" and --port 2/,
      "chat join --help",
    ],
    [
      ["join", "http://h:7/chat", "-n", "ana"],
      /has a path; give the server as HOST/,
      "chat join --help",
    ],
    [["join", "h", "--json-in"], /--json-in goes with --json/, "chat join --help"],
    [["serve", "--send-rate", "fast"], /Invalid --send-rate "fast"/, "chat serve --help"],
    [["serve", "--rooms", "a b"], /Invalid room "a b" in --rooms/, "chat serve --help"],
    [["rooms"], /Missing list or drop/, "chat rooms --help"],
    [["rooms", "drop"], /Give the one ROOM to drop/, "chat rooms --help"],
    [["passphrase", "-x"], /^chat: Unknown option -x$/, "chat passphrase --help"],
  ];
  for (const [args, message, help] of cases) {
    const result = await run(args);
    const label = args.join(" ");
    assert.equal(result.code, 2, label);
    const lines = result.stderr.split("\n");
    assert.equal(lines.length, 2, `${label}: one line and the help to read:\n${result.stderr}`);
    assert.match(lines[0]!, message, label);
    assert.equal(lines[1], `Run "${help}"`, label);
    assert.equal(result.stdout, "", label);
  }
});

Deno.test("join without --name and without a usable login name asks for --name", async () => {
  for (const user of ["", "not a name"]) {
    const result = await run(["join", "127.0.0.1:1"], {
      USER: user,
      USERNAME: "",
      CHAT_PASSPHRASE: "x",
    });
    assert.equal(result.code, 2, user);
    assert.match(result.stderr, /^chat: Missing --name NAME/, user);
  }
});

Deno.test("join without a terminal and without a passphrase source says how to give one", async () => {
  const result = await run(["join", "127.0.0.1", "--name", "ana"], { CHAT_PASSPHRASE: "" });
  assert.equal(result.code, 2);
  assert.match(
    result.stderr,
    /no terminal to ask on, so set CHAT_PASSPHRASE or use --passphrase-file/,
  );
});

Deno.test("chat passphrase prints eight words, different each time", async () => {
  const first = await run(["passphrase"]);
  const second = await run(["passphrase"]);
  assert.equal(first.code, 0);
  assert.match(first.stdout, /^[a-z]+(-[a-z]+){7}$/);
  assert.notEqual(first.stdout, second.stdout);
});

Deno.test("serve on a port in use fails with a hint", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = String((listener.addr as Deno.NetAddr).port);
    // :memory:, so the test never opens the user's own data directory.
    const result = await run([
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      port,
      "--data",
      ":memory:",
    ]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /another server running on that port/);
  } finally {
    listener.close();
  }
});
