import assert from "node:assert/strict";
import { ConfigFileError, loadConfig, parseConfig } from "../../storage/config_file.ts";

Deno.test("parseConfig() reads the settings it knows and lists the ones it does not", () => {
  const { config, unknown } = parseConfig(
    '{"server": "10.0.0.5:7000", "name": "ana", "room": "ops", "bell": true, "color": false, ' +
      '"timestamps": true, "nmae": "x"}',
    "config.json",
  );
  assert.deepEqual(config, {
    server: "10.0.0.5:7000",
    name: "ana",
    room: "ops",
    bell: true,
    color: false,
    timestamps: true,
  });
  assert.deepEqual(unknown, ["nmae"]);
});

Deno.test("parseConfig() refuses what is not a config, naming the file and the setting", () => {
  const cases: [string, RegExp][] = [
    ["{", /^c\.json is not valid JSON/],
    ["[1]", /must hold one JSON object/],
    ['{"name": 3}', /"name" in c\.json must be a non-empty string/],
    ['{"name": " "}', /"name" in c\.json must be a non-empty string/],
    ['{"bell": "yes"}', /"bell" in c\.json must be true or false/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseConfig(text, "c.json"), (error: Error) => {
      return error instanceof ConfigFileError && message.test(error.message);
    }, text);
  }
});

Deno.test("loadConfig() takes a missing file as no settings", async () => {
  assert.deepEqual(await loadConfig("/nonexistent/chat/config.json"), { config: {}, unknown: [] });
});
