import assert from "node:assert/strict";
import { addressKey } from "../../transport/address.ts";

Deno.test("addressKey() keeps an IPv4 address as it is", () => {
  assert.equal(addressKey("127.0.0.1"), "127.0.0.1");
  assert.equal(addressKey("10.0.0.5"), "10.0.0.5");
});

Deno.test("addressKey() groups IPv6 addresses by their /64", () => {
  assert.equal(addressKey("2001:db8:0:1::5"), "2001:db8:0:1::/64");
  assert.equal(addressKey("2001:0db8:0000:0001:ffff:1:2:3"), "2001:db8:0:1::/64");
  assert.equal(addressKey("[2001:db8:0:1::9]"), "2001:db8:0:1::/64");
  assert.equal(addressKey("::1"), "0:0:0:0::/64");
  assert.equal(addressKey("fe80::1%eth0"), "fe80:0:0:0::/64");
});

Deno.test("addressKey() counts IPv4 written as IPv6 as the IPv4 address", () => {
  assert.equal(addressKey("::ffff:10.0.0.5"), "10.0.0.5");
  assert.equal(addressKey("::ffff:a00:5"), "10.0.0.5");
});

Deno.test("addressKey() leaves anything that is not an address alone", () => {
  assert.equal(addressKey("memory-a"), "memory-a");
  assert.equal(addressKey(""), "");
});
