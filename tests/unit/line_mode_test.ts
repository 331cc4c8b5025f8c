import assert from "node:assert/strict";
import { jsonEventLine, parseJsonInput } from "../../client/line_mode.ts";

Deno.test("parseJsonInput() reads text and actions with a ref, and says what is wrong otherwise", () => {
  assert.deepEqual(parseJsonInput('{"text": "hi", "ref": "a1"}', 1), {
    line: 1,
    text: "hi",
    kind: "text",
    ref: "a1",
  });
  assert.deepEqual(parseJsonInput('{"action": "waves", "ref": 7}', 2), {
    line: 2,
    text: "waves",
    kind: "action",
    ref: 7,
  });
  assert.deepEqual(parseJsonInput('{"text": "no ref"}', 3), {
    line: 3,
    text: "no ref",
    kind: "text",
  });
  const refused: [string, RegExp][] = [
    ["hi", /Line 4 is not JSON/],
    ["[1]", /not a JSON object/],
    ['{"text": "a", "action": "b"}', /"text" or an "action" string \(one of them\)/],
    ['{"txt": "a"}', /"text" or an "action"/],
    ['{"text": "a", "to": "bob"}', /unknown field "to"/],
    ['{"text": "a", "ref": {}}', /"ref" must be a number or a string/],
    ['{"text": " "}', /nothing to say/],
  ];
  for (const [line, message] of refused) {
    const result = parseJsonInput(line, 4);
    assert.equal(typeof result, "string", line);
    assert.match(result as string, message, line);
  }
});

Deno.test("jsonEventLine() puts the schema version first and keeps control characters escaped", () => {
  const line = jsonEventLine({ type: "gap", room: "lobby\u009b", missed: 2 });
  assert.equal(line, '{"v":1,"type":"gap","room":"lobby\\u009b","missed":2}');
  assert.deepEqual(JSON.parse(line), { v: 1, type: "gap", room: "lobby\u009b", missed: 2 });
});
