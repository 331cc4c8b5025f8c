/** Help texts and the usage error. Every usage error exits 2 with the relevant usage on stderr. */

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
}

export const MAIN_USAGE = `chat ${VERSION}: end-to-end encrypted chat for a room of people

Usage:
  chat serve [--host H] [--port P] [--data DIR]    run a relay others join
  chat join HOST[:PORT] --name NAME [--room ROOM]   join a room and talk
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

export const JOIN_USAGE = `Usage: chat join HOST[:PORT] --name NAME [--room ROOM] [--json]
                 [--history N | --no-history] [--passphrase-file FILE]
                 [--tls] [--ca FILE] [--fingerprint SHA256:...]

Joins a room on a relay (default port 7777, default room "lobby").

Options:
  --name NAME               your name in the room: letters, digits, "_", "-", "."
  --room ROOM               the room to join (default lobby)
  --json                    one JSON object per line for every event, for scripts
  --history N               show the room's last N messages on joining (default 50)
  --no-history              show none: for bots that must not act on old lines
  --passphrase-file FILE    read the room passphrase from the first line of FILE
  --tls                     connect with TLS, to a server run with --tls or --cert
  --fingerprint SHA256:...  accept only the server certificate with this fingerprint, as
                            "chat serve" printed it (implies --tls)
  --ca FILE                 trust server certificates from the CAs in this PEM file instead
                            of the system's, and no others (implies --tls)
  -h, --help                show this help

The passphrase comes from CHAT_PASSPHRASE, --passphrase-file, or a hidden prompt; never
from the command line, where other users could see it. A new room asks for it twice.

With a terminal: type to talk; /help lists commands. Without one (a pipe), each line of
input is one message, and at end of input the client waits until the relay has
acknowledged every message, then leaves. A dropped connection is re-established by
itself; messages typed meanwhile are sent once it is back, and nothing is missed.

With TLS, a server's certificate is checked before anything is sent. A new server's
self-signed certificate is shown with its fingerprint (on a terminal, trusted only if you
say so) and remembered in the known_hosts file; a changed one is always refused.`;

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
