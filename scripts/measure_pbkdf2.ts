/**
 * How fast this machine can guess room passphrases: times the client's own key derivation
 * (PBKDF2-HMAC-SHA256 at the room iteration count) and reports guesses per second, per core and
 * with every core busy. docs/SECURITY.md quotes its figures. Usage:
 *   deno run scripts/measure_pbkdf2.ts [ROUNDS]
 */
import { DEFAULT_ITERATIONS, pbkdf2Sha256 } from "../crypto.ts";

const rounds = Number(Deno.args[0] ?? 8);
const salt = crypto.getRandomValues(new Uint8Array(16));

async function derive(guess: number): Promise<void> {
  await pbkdf2Sha256(`guess ${guess}`, salt, { iterations: DEFAULT_ITERATIONS, bytes: 32 });
}

const times: number[] = [];
for (let round = 0; round < rounds; round++) {
  const start = performance.now();
  await derive(round);
  times.push(performance.now() - start);
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)]!;

// Web Crypto runs derivations off the main thread, so concurrent ones use every core.
const cores = navigator.hardwareConcurrency;
const start = performance.now();
await Promise.all(Array.from({ length: cores * rounds }, (_, i) => derive(i)));
const parallelPerSecond = (cores * rounds) / ((performance.now() - start) / 1000);

console.log(`PBKDF2-HMAC-SHA256, ${DEFAULT_ITERATIONS.toLocaleString("en")} iterations`);
console.log(`one derivation: median ${median.toFixed(0)} ms (min ${times[0]!.toFixed(0)} ms)`);
console.log(`guesses per second, one core: ${(1000 / median).toFixed(2)}`);
console.log(`guesses per second, ${cores} cores busy: ${parallelPerSecond.toFixed(2)}`);
