/**
 * Help texts and the usage error. A usage error exits 2 with one line saying what is wrong and a
 * second saying which help to read; the help itself goes to stdout only when asked for.
 */

/** The program's version, shown by `chat --version` and sent in hello. */
export const VERSION = "0.1.0";

/** A mistake in how the command was invoked. */
export class UsageError extends Error {
  readonly usage: string;

  constructor(message: string, usage: string) {
    super(message);
    this.name = "UsageError";
    this.usage = usage;
  }

  /** The help command for this usage: `chat join --help`, or `chat --help`. */
  get helpCommand(): string {
    const command = this.usage.match(/^Usage: chat (\w+)/)?.[1];
    return command ? `${commandName(command)} --help` : `${commandName(null)} --help`;
  }
}

/** How the program was started: "chat" (installed) or "deno task" (from source, by deno.json). */
let runAs: "chat" | "deno task" = "chat";

/** Records how the program was started, from the CHAT_RUN_AS variable deno.json's task sets. */
export function setRunAs(value: string | undefined): void {
  runAs = value === "deno task" ? "deno task" : "chat";
}

/**
 * The command a user types for `subcommand`, as they started this program: `chat join` for an
 * installed one, `deno task join` from a source checkout (deno.json has join and serve tasks;
 * anything else goes through its chat task).
 */
export function commandName(subcommand: string | null): string {
  if (runAs === "chat") return subcommand ? `chat ${subcommand}` : "chat";
  if (subcommand === "join" || subcommand === "serve") return `deno task ${subcommand}`;
  return subcommand ? `deno task chat ${subcommand}` : "deno task chat";
}

/** The known word nearest to `word` when it is a likely typo of it (a few edits away), or null. */
export function nearest(word: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(1, Math.min(2, Math.floor(word.length / 3)));
  return best !== null && bestDistance <= allowed ? best : null;
}

/** Levenshtein distance, with a swap of two neighbours counted as one edit. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, rows[i - 2]![j - 2]! + 1);
      }
      rows[i]![j] = value;
    }
  }
  return rows[a.length]![b.length]!;
}

export const MAIN_USAGE = `chat ${VERSION}: end-to-end encrypted chat for a room of people

Usage:
  chat serve [--host H] [--port P] [--data DIR]    run a relay others join
  chat join HOST[:PORT] [--name NAME] [--room ROOM] join a room and talk
  chat passphrase                                   print a new strong passphrase
  chat rooms list|drop ROOM [--data DIR]            see or remove a relay's rooms

Options:
  -h, --help      show help (also: chat <command> --help)
  -V, --version   show the version

The relay only ever sees ciphertext: the room passphrase never leaves your machine.`;

export const SERVE_USAGE = `Usage: chat serve [--host H] [--port P] [--data DIR]
                  [--tls | --cert FILE --key FILE] [limits]

Runs a relay. It routes and stores sealed messages it cannot read.

Options:
  --host H              address to listen on (default 0.0.0.0; :: for IPv6)
  --port P              TCP port (default 7777; 0 picks a free port)
  --data DIR            where the relay keeps its database (default: the per-user data
                        directory, e.g. ~/.local/share/chat); :memory: keeps nothing on disk
  --retain COUNT        messages kept per room (default 10000)
  --retain-days D       days messages are kept (default 30; 0 keeps them by count only)
  --tls                 serve TLS (1.2 and 1.3) with a certificate the server makes once
                        and keeps in DIR/tls; it prints the certificate's fingerprint
  --cert FILE           serve TLS with this PEM certificate (chain) instead; needs --key
  --key FILE            the PEM private key of --cert
  -h, --help            show this help

Limits (what one peer may make the relay do; 0 turns a limit off, as a benchmark or a
trusted LAN may need):
  --max-connections N   connections open at once, TLS handshakes included (default: the
                        open-file limit less 64 where it can be read, else 1000; lowered
                        to what fits if the limit is reached); from 1
  --max-per-ip N        connections from one address (an IPv6 /64) at once (default 32)
  --tls-handshake-seconds S
                        time a TLS client has to finish its handshake (default 10)
  --max-unjoined N      connections in no room at once (default 256)
  --join-timeout S      seconds a connection may stay in no room (default 60)
  --max-guesses N       wrong passphrases one address may give before each further try
                        waits, 1 s doubling to 10 min (default 5; a room allows 4N from
                        everyone before its answers wait up to 30 s; a connection is
                        closed after 3)
  --rooms A,B,...       only these rooms may be created (default: any name)
  --max-rooms N         rooms the relay holds (default 10000)
  --room-rate N         rooms one address may create per hour (default 10)
  --room-expiry MIN     minutes a room with no members and nothing stored is kept
                        (default 10)
  --send-rate N         messages per second one connection may send, in bursts of 5 s
                        (default 10)
  --send-kbps N         KiB per second one connection may send, in bursts of 16 s
                        (default 64)
  --ip-mb-per-hour N    MiB all connections from one address may send an hour, the
                        hour's worth at once (default 64)
  --room-quota-mb N     sealed messages one room keeps, oldest dropped first (default 64)
  --max-storage-mb N    cap on the database size (default 1024); when full, messages
                        are still relayed live but not stored or acknowledged
  --log-rate N          log lines written per second; past it they are counted (default 200)

The first line printed is "listening on HOST:PORT". Ctrl-C or SIGTERM tells members and stops.
Rooms can be listed and dropped with "chat rooms", even while the relay runs.`;

export const JOIN_USAGE = `Usage: chat join HOST[:PORT] [--name NAME] [--room ROOM] [--json]
                 [--port P] [--create] [--history N | --no-history]
                 [--passphrase-file FILE] [--tls] [--ca FILE] [--fingerprint SHA256:...]

Joins a room on a relay (default port 7777, default room "lobby"). HOST may also be
written as a URL (chat://HOST:PORT); without HOST, the config file's "server" is used.

Options:
  -n, --name NAME           your name in the room: letters, digits, "_", "-", "."
                            (default: the config file's, else your login name)
  -r, --room ROOM           the room to join (default lobby)
  -p, --port P              the server's port, as HOST:PORT also gives it (default 7777)
  --create                  without a terminal, create the room if it does not exist (a
                            mistyped room is refused otherwise); a terminal asks anyway
  --json                    one JSON object per line for every event, for scripts
  --json-in                 with --json: read input lines as {"text": "...", "ref": ...}
                            or {"action": "..."}; the ack of each echoes its ref
  --history N               show the room's last N messages on joining (default 50)
  --no-history              show none: for bots that must not act on old lines
  --no-bell                 do not ring the terminal bell when a message mentions you
  --passphrase-file FILE    read the room passphrase from the first line of FILE
  --tls                     connect with TLS, to a server run with --tls or --cert
  --fingerprint SHA256:...  accept only the server certificate with this fingerprint, as
                            "chat serve" printed it (implies --tls)
  --ca FILE                 trust server certificates from the CAs in this PEM file instead
                            of the system's, and no others (implies --tls)
  -h, --help                show this help

The passphrase comes from CHAT_PASSPHRASE, --passphrase-file, or a hidden prompt on the
terminal (even when input is a pipe); never from the command line, where other users
could see it. A new room asks for it twice, and a wrong one may be typed again.

With a terminal: type to talk; /help lists commands. Without one (a pipe), each line of
input is one message, and at end of input the client waits until the relay has
acknowledged every message, then leaves. A dropped connection is re-established by
itself; messages typed meanwhile are sent once it is back, and nothing is missed.

Defaults for server, name, room, bell, color and timestamps may be set in
~/.config/chat/config.json, e.g. {"server": "10.0.0.5", "name": "ana"}.

With TLS, a server's certificate is checked before anything is sent. A new server's
self-signed certificate is shown with its fingerprint (on a terminal, trusted only if you
say so) and remembered in the known_hosts file; a changed one is always refused.

Exit codes: 0 left normally, 2 usage, 3 network, 4 passphrase, 5 name or room refused,
6 messages not sent, 7 server not trusted, 130 interrupted, 1 anything else.`;

export const ROOMS_USAGE = `Usage: chat rooms list [--data DIR]
       chat rooms drop ROOM [--data DIR]

Lists the rooms in a relay's data directory (what each stores, when it was last used), or
drops one with its messages and held names: a squatted room, or one nobody uses. Works
while the relay runs; its members are told within a second, and whoever joins next creates
the room anew with their own passphrase.

Options:
  --data DIR   the relay's data directory (default: the same as chat serve's)
  -h, --help   show this help`;

export const PASSPHRASE_USAGE = `Usage: chat passphrase

Prints a new random passphrase of 8 common English words (88 bits), easy to read aloud.`;
