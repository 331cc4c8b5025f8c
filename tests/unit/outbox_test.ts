import assert from "node:assert/strict";
import {
  IN_FLIGHT_GRACE_MS,
  MAX_RATE_LIMIT_WAIT_MS,
  NOT_STORED_RETRY_MS,
  Outbox,
  type Outgoing,
} from "../../client/outbox.ts";
import type { SessionEvent } from "../../client/events.ts";
import type { Nack } from "../../protocol.ts";
import { ManualClock } from "./manual_clock.ts";

function setup() {
  const clock = new ManualClock();
  const sent: string[] = [];
  const notices: Extract<SessionEvent, { type: "error" }>[] = [];
  let connected = true;
  const outbox = new Outbox({
    room: "lobby",
    clock,
    transmit: (outgoing) => {
      if (!connected) return false;
      sent.push(outgoing.idHex);
      return true;
    },
    notify: (event) => notices.push(event),
  });
  const settled: string[] = [];
  const add = (idHex: string): Promise<unknown> => {
    const { promise, resolve, reject } = Promise.withResolvers<unknown>();
    const outgoing: Outgoing = {
      id: new Uint8Array(16),
      idHex,
      sealed: new Uint8Array(40),
      resolve: (value) => {
        settled.push(`ok ${idHex}`);
        resolve(value);
      },
      reject: (error) => {
        settled.push(`refused ${idHex}`);
        reject(error);
      },
    };
    outbox.add(outgoing);
    promise.catch(() => {});
    return promise;
  };
  const nack = (idHex: string, code: string, retryAfterMs = 0) => {
    const frame: Nack = {
      type: "nack",
      room: "lobby",
      id: new Uint8Array(16),
      code,
      message: "\u001b]0;relay text\u0007",
      retryAfterMs,
    };
    outbox.refuse(frame, idHex);
  };
  return {
    clock,
    sent,
    notices,
    settled,
    outbox,
    add,
    nack,
    disconnect: () => {
      connected = false;
      outbox.disconnected();
    },
    reconnect: () => {
      connected = true;
      outbox.reconnected();
    },
  };
}

Deno.test("Outbox.refuse() with rate_limited holds every send, then resends all in order", () => {
  const { clock, sent, notices, outbox, add, nack, settled } = setup();
  add("a");
  add("b");
  add("c");
  nack("a", "rate_limited", 2_000);
  nack("b", "rate_limited", 2_000);
  nack("c", "rate_limited", 2_000);
  add("d");
  assert.deepEqual(sent, ["a", "b", "c"], "nothing new leaves while held");
  assert.equal(notices.length, 1, "told once, not per message");
  assert.equal(notices[0]!.code, "rate_limited");
  assert.equal(notices[0]!.retryAfterMs, 2_000);
  assert.ok(!notices[0]!.message.includes("relay text"));
  clock.advance(1_999);
  assert.equal(sent.length, 3);
  clock.advance(1);
  assert.deepEqual(sent, ["a", "b", "c", "a", "b", "c", "d"]);
  for (const [seq, id] of ["a", "b", "c", "d"].entries()) outbox.acknowledge(id, seq + 1, 0);
  assert.deepEqual(settled, ["ok a", "ok b", "ok c", "ok d"]);
  assert.equal(outbox.size, 0);
  assert.equal(clock.pending, 0);
});

Deno.test("Outbox.refuse() with rate_limited waits for messages already on their way", () => {
  const { clock, sent, outbox, add, nack } = setup();
  add("a");
  add("b");
  nack("a", "rate_limited", 100);
  clock.advance(100);
  assert.deepEqual(sent, ["a", "b"], "b is unanswered: resending a now could land it after b");
  nack("b", "rate_limited", 100);
  clock.advance(100);
  assert.deepEqual(sent, ["a", "b", "a", "b"]);
  outbox.acknowledge("a", 1, 0);
  outbox.acknowledge("b", 2, 0);
  assert.equal(outbox.size, 0);
});

Deno.test("Outbox.refuse() resends after a grace period when an answer never comes", () => {
  const { clock, sent, add, nack } = setup();
  add("a");
  add("b");
  nack("a", "rate_limited", 100);
  clock.advance(100 + IN_FLIGHT_GRACE_MS);
  assert.deepEqual(sent, ["a", "b", "a"]);
});

Deno.test("Outbox.refuse() caps a relay's wait and uses a default when it names none", () => {
  const { clock, sent, add, nack } = setup();
  add("a");
  nack("a", "rate_limited", 4_000_000_000);
  clock.advance(MAX_RATE_LIMIT_WAIT_MS);
  assert.deepEqual(sent, ["a", "a"]);
  nack("a", "rate_limited", 0);
  clock.advance(999);
  assert.equal(sent.length, 2);
  clock.advance(1);
  assert.deepEqual(sent, ["a", "a", "a"]);
});

Deno.test("Outbox.refuse() with message_too_large rejects that message alone", async () => {
  const { outbox, add, nack, sent } = setup();
  const big = add("big");
  add("small");
  nack("big", "message_too_large");
  await assert.rejects(big, (error: Error & { code?: string }) => {
    assert.equal(error.code, "message_too_large");
    assert.ok(!error.message.includes("relay text"));
    return true;
  });
  assert.equal(outbox.size, 1);
  assert.ok(outbox.has("small"));
  assert.deepEqual(sent, ["big", "small"]);
});

Deno.test("Outbox.refuse() with storage_full says so and resends that message after a pause", () => {
  const { clock, sent, notices, add, nack } = setup();
  add("a");
  nack("a", "storage_full");
  assert.match(notices[0]!.message, /^Not stored/);
  assert.equal(notices[0]!.id, "a");
  clock.advance(NOT_STORED_RETRY_MS);
  assert.deepEqual(sent, ["a", "a"]);
});

Deno.test("Outbox keeps held messages across a reconnect and sends them when the hold ends", () => {
  const { clock, sent, add, nack, disconnect, reconnect } = setup();
  add("a");
  nack("a", "rate_limited", 1_000);
  disconnect();
  add("b");
  reconnect();
  assert.deepEqual(sent, ["a"], "still held");
  clock.advance(1_000);
  assert.deepEqual(sent, ["a", "a", "b"]);
});
