/**
 * Tests for the client's TLS transport over a real loopback TLS server (Deno.listenTls with a
 * certificate made here): what `connectTls` reports about the server, and frames both ways.
 */
import assert from "node:assert/strict";
import { encodeMessage, ProtocolError } from "../../protocol.ts";
import { createSelfSigned } from "../../transport/tls_certificate.ts";
import { fingerprintOfPem } from "../../transport/tls_fingerprint.ts";
import { connectTls, NodeTlsConnection, TlsConnectError } from "../../transport/node_tls.ts";
import { StreamConnection } from "../../transport/stream_connection.ts";

const pair = await createSelfSigned(["127.0.0.1", "localhost"]);

/** A TLS listener on a free loopback port that hands each connection to `onConn`. */
function tlsServer(
  onConn: (conn: Deno.TlsConn) => Promise<void>,
  certificate: { cert: string; key: string } = pair,
) {
  const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, ...certificate });
  const handled: Promise<void>[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener) handled.push(onConn(conn));
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      await Promise.allSettled(handled);
    },
  };
}

Deno.test("connectTls() reports the certificate's fingerprint and whether a CA vouches", async () => {
  await using server = tlsServer(async (conn) => {
    await conn.handshake().catch(() => {});
    conn.close();
  });
  const expected = await fingerprintOfPem(pair.cert);
  const unknown = await connectTls({ host: "127.0.0.1", port: server.port, timeoutMs: 5_000 });
  unknown.socket.destroy();
  assert.equal(unknown.peer.fingerprint, expected.sha256);
  assert.equal(unknown.peer.hexFingerprint, expected.hex);
  assert.equal(unknown.peer.authorized, false);
  assert.equal(unknown.peer.authorizationError, "DEPTH_ZERO_SELF_SIGNED_CERT");
  assert.match(unknown.peer.protocol ?? "", /^TLSv1\.[23]$/);

  const vouched = await connectTls({
    host: "127.0.0.1",
    port: server.port,
    ca: pair.cert,
    timeoutMs: 5_000,
  });
  vouched.socket.destroy();
  assert.equal(vouched.peer.authorized, true);
  assert.equal(vouched.peer.authorizationError, null);
});

Deno.test("connectTls() reports a name mismatch even when a CA vouches", async () => {
  // rejectUnauthorized is off so the caller can decide; the mismatch must still be reported.
  const other = await createSelfSigned(["chat.lan"]);
  await using server = tlsServer(async (conn) => {
    await conn.handshake().catch(() => {});
    conn.close();
  }, other);
  const { socket, peer } = await connectTls({
    host: "127.0.0.1",
    port: server.port,
    ca: other.cert,
    timeoutMs: 5_000,
  });
  socket.destroy();
  assert.equal(peer.authorized, false);
  assert.equal(peer.authorizationError, "ERR_TLS_CERT_ALTNAME_INVALID");
});

Deno.test("connectTls() fails with kind handshake against a server that does not speak TLS", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    const conn = await listener.accept();
    await conn.read(new Uint8Array(1024)).catch(() => null);
    await conn.write(new TextEncoder().encode("not tls at all\n")).catch(() => 0);
    conn.close();
  })();
  await assert.rejects(
    connectTls({ host: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port, timeoutMs: 5_000 }),
    (error) => error instanceof TlsConnectError && error.kind === "handshake",
  );
  await serving;
  listener.close();
});

Deno.test("connectTls() turns a refused connection into TlsConnectError", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await assert.rejects(
    connectTls({ host: "127.0.0.1", port, timeoutMs: 5_000 }),
    (error) => error instanceof TlsConnectError && error.kind === "refused",
  );
});

Deno.test("NodeTlsConnection carries frames both ways and ends when the server closes", async () => {
  const frames = [
    encodeMessage({ type: "ping", token: 1 }),
    encodeMessage({ type: "ping", token: 2 }),
  ];
  await using server = tlsServer(async (conn) => {
    const connection = new StreamConnection(conn);
    const received: Uint8Array[] = [];
    for await (const frame of connection.frames()) {
      received.push(frame);
      if (received.length === 2) break;
    }
    for (const frame of received) connection.send(Uint8Array.of(0, 0, 0, frame.length, ...frame));
    await connection.close();
  });
  const { socket } = await connectTls({ host: "127.0.0.1", port: server.port, timeoutMs: 5_000 });
  const connection = new NodeTlsConnection(socket, `127.0.0.1:${server.port}`);
  assert.equal(connection.peer, `127.0.0.1:${server.port}`);
  for (const frame of frames) assert.equal(connection.send(frame), true);
  const echoed: Uint8Array[] = [];
  for await (const frame of connection.frames()) echoed.push(frame);
  assert.deepEqual(echoed, frames.map((frame) => frame.subarray(4)));
  await connection.close();
});

Deno.test("NodeTlsConnection throws ProtocolError for a length over the limit", async () => {
  await using server = tlsServer(async (conn) => {
    await conn.write(Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 1));
    const buffer = new Uint8Array(16);
    while ((await conn.read(buffer).catch(() => null)) !== null) { /* until the client closes */ }
    conn.close();
  });
  const { socket } = await connectTls({ host: "127.0.0.1", port: server.port, timeoutMs: 5_000 });
  const connection = new NodeTlsConnection(socket, "server");
  await assert.rejects(
    async () => {
      for await (const _ of connection.frames()) { /* nothing arrives whole */ }
    },
    (error) => error instanceof ProtocolError && error.code === "frame_too_large",
  );
  await connection.close();
});

Deno.test("NodeTlsConnection reassembles frames the server writes a byte at a time", async () => {
  const frame = encodeMessage({ type: "ping", token: 7 });
  await using server = tlsServer(async (conn) => {
    for (const byte of frame) await conn.write(Uint8Array.of(byte));
    conn.close();
  });
  const { socket } = await connectTls({ host: "127.0.0.1", port: server.port, timeoutMs: 5_000 });
  const connection = new NodeTlsConnection(socket, "server");
  const received: Uint8Array[] = [];
  for await (const body of connection.frames()) received.push(body);
  assert.deepEqual(received, [frame.subarray(4)]);
  await connection.close();
});

Deno.test("NodeTlsConnection reports a frame cut off by the close as bad_frame", async () => {
  const frame = encodeMessage({ type: "ping", token: 7 });
  await using server = tlsServer(async (conn) => {
    await conn.write(frame.subarray(0, frame.length - 2));
    conn.close();
  });
  const { socket } = await connectTls({ host: "127.0.0.1", port: server.port, timeoutMs: 5_000 });
  const connection = new NodeTlsConnection(socket, "server");
  await assert.rejects(
    async () => {
      for await (const _ of connection.frames()) { /* the only frame is cut off */ }
    },
    (error) => error instanceof ProtocolError && error.code === "bad_frame",
  );
  await connection.close();
});

Deno.test("NodeTlsConnection.close() sends the final frame, then refuses more", async () => {
  const received = Promise.withResolvers<Uint8Array[]>();
  await using server = tlsServer(async (conn) => {
    const frames: Uint8Array[] = [];
    for await (const frame of new StreamConnection(conn).frames()) frames.push(frame);
    received.resolve(frames);
    conn.close();
  });
  const { socket } = await connectTls({ host: "127.0.0.1", port: server.port, timeoutMs: 5_000 });
  const connection = new NodeTlsConnection(socket, "server");
  connection.send(encodeMessage({ type: "ping", token: 1 }));
  await connection.close(encodeMessage({ type: "bye" }));
  assert.equal(connection.open, false);
  assert.equal(connection.send(encodeMessage({ type: "ping", token: 2 })), false);
  await connection.close();
  const frames = await received.promise;
  assert.deepEqual(frames.map((frame) => frame[0]), [0x07, 0x09]);
  assert.equal(connection.queuedBytes, 0);
});

Deno.test("NodeTlsConnection.send() refuses a frame past the queue bound", async () => {
  await using server = tlsServer(async (conn) => {
    await conn.handshake().catch(() => {});
    conn.close();
  });
  const { socket } = await connectTls({ host: "127.0.0.1", port: server.port, timeoutMs: 5_000 });
  const connection = new NodeTlsConnection(socket, "server", { maxQueueBytes: 100 });
  assert.equal(connection.open, true);
  assert.equal(connection.send(new Uint8Array(60)), true);
  assert.equal(connection.send(new Uint8Array(60)), false);
  assert.equal(connection.queuedBytes, 60);
  await connection.close();
});
