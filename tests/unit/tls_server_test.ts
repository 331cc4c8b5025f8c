/**
 * Tests for the relay's TLS over sockets it accepted itself: real loopback connections, a
 * certificate made here, and the client's own `connectTls` on the other end.
 */
import assert from "node:assert/strict";
import { encodeMessage } from "../../protocol.ts";
import { ConnDuplex } from "../../transport/conn_duplex.ts";
import { connectTls, NodeTlsConnection } from "../../transport/node_tls.ts";
import { createSelfSigned } from "../../transport/tls_certificate.ts";
import { TlsAcceptor } from "../../transport/tls_server.ts";
import { withTimeout } from "../e2e/harness.ts";

const pair = await createSelfSigned(["127.0.0.1"]);
/** The first bytes of a ClientHello: a record header that promises more than ever comes. */
const HALF_HELLO = Uint8Array.of(0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03);

/** A loopback listener and a connection to it: the server's accepted end and the client's. */
async function socketPair() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const [server, client] = await Promise.all([
    listener.accept(),
    Deno.connect({ hostname: "127.0.0.1", port }),
  ]);
  listener.close();
  return { server, client, port };
}

/** Reads until the peer closes; true when it closed (EOF or reset) within `ms`. */
async function closedByPeer(conn: Deno.Conn, ms = 5_000): Promise<boolean> {
  const buffer = new Uint8Array(1024);
  return await withTimeout(
    (async () => {
      while (true) {
        const count = await conn.read(buffer).catch(() => null);
        if (count === null) return true;
      }
    })(),
    ms,
    "the server closing the socket",
  );
}

Deno.test("TlsAcceptor.handshake() gives a NodeTlsConnection that carries frames both ways", async () => {
  const acceptor = new TlsAcceptor(pair);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const serving = (async () => {
    const conn = await listener.accept();
    const accepted = await acceptor.handshake(conn, "peer");
    assert.ok("connection" in accepted, "the handshake completed");
    const { connection, closed } = accepted;
    assert.equal(connection.address, "127.0.0.1");
    for await (const frame of connection.frames()) {
      connection.send(Uint8Array.of(0, 0, 0, frame.length, ...frame));
      break;
    }
    await connection.close(encodeMessage({ type: "bye" }));
    await closed;
  })();
  const { socket, peer } = await connectTls({ host: "127.0.0.1", port, timeoutMs: 5_000 });
  assert.match(peer.protocol ?? "", /^TLSv1\.[23]$/);
  const client = new NodeTlsConnection(socket, "server");
  const ping = encodeMessage({ type: "ping", token: 9 });
  client.send(ping);
  const received: Uint8Array[] = [];
  for await (const frame of client.frames()) received.push(frame);
  assert.deepEqual(received.map((frame) => frame[0]), [ping[4], 0x09]);
  await client.close();
  await withTimeout(serving, 10_000, "the server side");
  listener.close();
});

Deno.test("TlsAcceptor.handshake() closes a socket whose handshake stalls past the deadline", async () => {
  const acceptor = new TlsAcceptor({ ...pair, handshakeTimeoutMs: 100 });
  for (const sent of [new Uint8Array(0), HALF_HELLO]) {
    const { server, client } = await socketPair();
    if (sent.length > 0) await client.write(sent);
    const accepted = await withTimeout(acceptor.handshake(server, "peer"), 5_000, "handshake");
    assert.ok("failure" in accepted);
    assert.equal(accepted.failure.kind, "timeout");
    await withTimeout(accepted.closed, 5_000, "the socket closing");
    assert.ok(await closedByPeer(client), "the client sees the socket closed");
    client.close();
  }
  assert.equal(acceptor.pendingHandshakes, 0);
});

Deno.test("TlsAcceptor.handshake() closes the socket of a client that drops mid-handshake", async () => {
  const acceptor = new TlsAcceptor(pair);
  const { server, client } = await socketPair();
  await client.write(HALF_HELLO);
  client.close();
  const accepted = await withTimeout(acceptor.handshake(server, "peer"), 5_000, "handshake");
  assert.ok("failure" in accepted);
  assert.equal(accepted.failure.kind, "failed");
  await withTimeout(accepted.closed, 5_000, "the socket closing");
  assert.throws(() => server.close(), Deno.errors.BadResource, "closed already");
});

Deno.test("TlsAcceptor.close() fails the handshakes under way and any begun later", async () => {
  const acceptor = new TlsAcceptor(pair);
  const first = await socketPair();
  const handshake = acceptor.handshake(first.server, "peer");
  acceptor.close();
  const accepted = await withTimeout(handshake, 5_000, "handshake");
  assert.ok("failure" in accepted && accepted.failure.kind === "closed");
  await accepted.closed;
  assert.ok(await closedByPeer(first.client));
  first.client.close();

  const later = await socketPair();
  const refused = await withTimeout(acceptor.handshake(later.server, "peer"), 5_000, "handshake");
  assert.ok("failure" in refused && refused.failure.kind === "closed");
  await refused.closed;
  later.client.close();
});

Deno.test("new TlsAcceptor() refuses a certificate and key that do not belong together", async () => {
  const other = await createSelfSigned(["127.0.0.1"]);
  assert.throws(
    () => new TlsAcceptor({ cert: pair.cert, key: other.key }),
    Deno.errors.InvalidData,
  );
  assert.throws(() => new TlsAcceptor({ cert: "nope", key: pair.key }), Deno.errors.InvalidData);
  assert.throws(() => new TlsAcceptor({ cert: pair.cert, key: "nope" }), Deno.errors.InvalidData);
});

Deno.test("ConnDuplex lets out what is written just after destroy, then closes the socket", async () => {
  // node:tls queues its alert for a refused handshake a microtask after destroying its transport.
  const { server, client } = await socketPair();
  const duplex = new ConnDuplex(server);
  duplex.destroy();
  queueMicrotask(() => duplex.write(Uint8Array.of(0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28)));
  await withTimeout(duplex.socketClosed, 5_000, "the socket closing");
  const buffer = new Uint8Array(64);
  const received: number[] = [];
  for (let count = await client.read(buffer); count !== null; count = await client.read(buffer)) {
    received.push(...buffer.subarray(0, count));
  }
  assert.deepEqual(received, [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]);
  client.close();
});
