/**
 * A TCP proxy in front of the server for end-to-end tests: it records every byte that crosses it,
 * and can cut connections (all at once, or each after a random number of bytes) or refuse new
 * ones for a while, the way a flaky network would.
 */

/** How the proxy misbehaves. */
export interface ProxyOptions {
  /** Cut each connection after this many bytes (both directions counted); null never. */
  cutAfterBytes?: () => number | null;
}

/** A proxy on a free loopback port forwarding to `targetPort`. */
export class TestProxy implements AsyncDisposable {
  /** Connections cut by the proxy so far. */
  cuts = 0;
  /** While true, new connections are accepted and closed at once. */
  blocked = false;
  readonly #listener: Deno.TcpListener;
  readonly #chunks: Uint8Array[] = [];
  readonly #pumps: Promise<void>[] = [];
  readonly #links = new Set<Link>();
  readonly #accepting: Promise<void>;
  readonly #options: ProxyOptions;

  constructor(targetPort: number, options: ProxyOptions = {}) {
    this.#options = options;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#accepting = this.#accept(targetPort);
  }

  get port(): number {
    return (this.#listener.addr as Deno.NetAddr).port;
  }

  /** Everything that crossed the proxy, in both directions. */
  recorded(): Uint8Array {
    const total = this.#chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    const all = new Uint8Array(total);
    let offset = 0;
    for (const chunk of this.#chunks) {
      all.set(chunk, offset);
      offset += chunk.length;
    }
    return all;
  }

  /** Cuts every open connection. */
  cutAll(): void {
    for (const link of this.#links) this.#cut(link);
  }

  async #accept(targetPort: number): Promise<void> {
    try {
      for await (const client of this.#listener) {
        if (this.blocked) {
          client.close();
          continue;
        }
        let upstream: Deno.TcpConn;
        try {
          upstream = await Deno.connect({ hostname: "127.0.0.1", port: targetPort });
        } catch {
          client.close();
          continue;
        }
        const link: Link = {
          client,
          upstream,
          budget: this.#options.cutAfterBytes?.() ?? null,
          open: true,
        };
        this.#links.add(link);
        this.#pumps.push(this.#pump(link, client, upstream), this.#pump(link, upstream, client));
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
  }

  async #pump(link: Link, from: Deno.TcpConn, to: Deno.TcpConn): Promise<void> {
    const buffer = new Uint8Array(65536);
    try {
      while (link.open) {
        const count = await from.read(buffer);
        if (count === null) break;
        let chunk = buffer.slice(0, count);
        if (link.budget !== null) {
          if (chunk.length >= link.budget) chunk = chunk.subarray(0, link.budget);
          link.budget -= chunk.length;
        }
        this.#chunks.push(chunk);
        let written = 0;
        while (written < chunk.length) written += await to.write(chunk.subarray(written));
        if (link.budget === 0) {
          this.cuts++;
          break;
        }
      }
    } catch {
      // One side went away; the other pump sees it too.
    }
    this.#cut(link);
  }

  #cut(link: Link): void {
    if (!link.open) return;
    link.open = false;
    this.#links.delete(link);
    for (const conn of [link.client, link.upstream]) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    this.cutAll();
    await Promise.all(this.#pumps);
  }
}

interface Link {
  client: Deno.TcpConn;
  upstream: Deno.TcpConn;
  /** Bytes left before the proxy cuts this connection; null for never. */
  budget: number | null;
  open: boolean;
}
