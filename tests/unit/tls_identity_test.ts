/**
 * Tests for the relay's own certificate: made once and kept in the data directory (key owner-only),
 * read back unchanged on restart, made per run for :memory:, and a half-written pair handled.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadOrCreateIdentity, tlsPaths } from "../../storage/tls_identity.ts";

let made = 0;
const create = () => {
  made++;
  return Promise.resolve({ cert: `CERT ${made}`, key: `KEY ${made}` });
};

async function withTempDir(run: (dir: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "chat_tls_identity_test_" });
  try {
    await run(join(root, "data"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("loadOrCreateIdentity() makes the pair once and reads it back after that", async () => {
  await withTempDir(async (dataDir) => {
    const first = await loadOrCreateIdentity(dataDir, create);
    assert.equal(first.created, true);
    assert.equal(first.certPath, join(dataDir, "tls", "cert.pem"));
    assert.equal(first.keyPath, join(dataDir, "tls", "key.pem"));
    const again = await loadOrCreateIdentity(dataDir, create);
    assert.equal(again.created, false);
    assert.equal(again.cert, first.cert);
    assert.equal(again.key, first.key);
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(first.keyPath!)).mode! & 0o777, 0o600);
      assert.equal((await Deno.stat(tlsPaths(dataDir).dir)).mode! & 0o777, 0o700);
    }
  });
});

Deno.test("loadOrCreateIdentity() keeps nothing on disk for :memory:", async () => {
  const before = made;
  const identity = await loadOrCreateIdentity(":memory:", create);
  assert.equal(identity.created, true);
  assert.equal(identity.certPath, null);
  assert.equal(made, before + 1);
  assert.throws(() => Deno.statSync(join(":memory:", "tls")), Deno.errors.NotFound);
});

Deno.test("loadOrCreateIdentity() replaces a key left without its certificate", async () => {
  await withTempDir(async (dataDir) => {
    const paths = tlsPaths(dataDir);
    await Deno.mkdir(paths.dir, { recursive: true });
    await Deno.writeTextFile(paths.key, "ORPHAN KEY");
    const identity = await loadOrCreateIdentity(dataDir, create);
    assert.equal(identity.created, true);
    assert.notEqual(await Deno.readTextFile(paths.key), "ORPHAN KEY");
  });
});

Deno.test("loadOrCreateIdentity() refuses a certificate without its key", async () => {
  await withTempDir(async (dataDir) => {
    const paths = tlsPaths(dataDir);
    await Deno.mkdir(paths.dir, { recursive: true });
    await Deno.writeTextFile(paths.cert, "LONELY CERT");
    await assert.rejects(loadOrCreateIdentity(dataDir, create), /has no key beside it/);
    assert.equal(await Deno.readTextFile(paths.cert), "LONELY CERT");
  });
});
