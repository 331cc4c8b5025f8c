/**
 * Issue 9, item 16 (the server's side): a client speaking the wrong protocol for the port is told
 * apart from its first bytes and logged in words, not as a TLS library's error or a frame of
 * 369,295,616 bytes.
 */
import assert from "node:assert/strict";
import { joinClient, RawPeer, startServer } from "./harness.ts";

Deno.test("serve --tls: a plain chat client or a web browser on the TLS port is logged in words", async () => {
  await using server = await startServer({ args: ["--tls"] });
  await using plain = await joinClient(server.port, "ana", { waitReady: false });
  await server.stdout.waitFor((line) => line.includes("a chat client must join with --tls"));
  using browser = await RawPeer.connect(server.port);
  await browser.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: chat\r\n\r\n"));
  await server.stdout.waitFor((line) => line.includes("it spoke plain HTTP (a web browser?)"));
  assert.equal((await plain.finished()).success, false);
});

Deno.test("serve: a TLS client or a web browser on the plain port is logged in words", async () => {
  await using server = await startServer();
  using tlsClient = await RawPeer.connect(server.port);
  // The first bytes of a TLS ClientHello: a handshake record of TLS 1.0 framing.
  await tlsClient.write(new Uint8Array([0x16, 0x03, 0x01, 0x00, 0xf4, 0x01, 0x00, 0x00, 0xf0]));
  await server.stdout.waitFor((line) => /foreign_protocol: The other side speaks TLS/.test(line));
  const refused = await tlsClient.next();
  assert.ok(refused?.type === "error" && refused.code === "foreign_protocol" && refused.fatal);
  using browser = await RawPeer.connect(server.port);
  await browser.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: chat\r\n\r\n"));
  await server.stdout.waitFor((line) => /foreign_protocol: The other side speaks HTTP/.test(line));
});
