import assert from "node:assert/strict";
import { encodeMessage } from "../../protocol.ts";
import { classifyFirstBytes, wrongProtocolWords } from "../../client/probe.ts";

const text = (s: string) => new TextEncoder().encode(s);

Deno.test("classifyFirstBytes() tells a relay, TLS, a web server and SSH apart", () => {
  const welcome = encodeMessage({
    type: "welcome",
    version: 2,
    software: "chat",
    maxFrameBytes: 65_536,
    heartbeatMs: 15_000,
  });
  assert.equal(classifyFirstBytes(welcome), "chat");
  // A TLS alert (21) and a TLS handshake record (22), version 3.x.
  assert.equal(
    classifyFirstBytes(new Uint8Array([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46])),
    "tls",
  );
  assert.equal(classifyFirstBytes(new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00])), "tls");
  assert.equal(classifyFirstBytes(text("HTTP/1.1 400 Bad Request\r\n")), "http");
  assert.equal(classifyFirstBytes(text("SSH-2.0-OpenSSH_9.2\r\n")), "ssh");
  assert.equal(classifyFirstBytes(new Uint8Array(0)), "unknown");
  assert.equal(classifyFirstBytes(text("220 smtp ready")), "unknown");
});

Deno.test("wrongProtocolWords() says what to do, and nothing when the server is what was asked for", () => {
  assert.equal(wrongProtocolWords("tls", "h:1", false), "h:1 speaks TLS: add --tls");
  assert.equal(wrongProtocolWords("tls", "h:1", true), null);
  assert.match(wrongProtocolWords("chat", "h:1", true)!, /without TLS: join without --tls/);
  assert.equal(wrongProtocolWords("chat", "h:1", false), null);
  assert.match(wrongProtocolWords("http", "h:1", false)!, /is a web server, not "chat serve"/);
  assert.equal(wrongProtocolWords("unknown", "h:1", false), null);
});
