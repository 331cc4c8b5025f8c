/**
 * Summarises a V8 `.cpuprofile` (from `deno run --cpu-prof`): self time per function, highest
 * first, with its share of the profile's samples.
 *
 *   deno run -R bench/profile_summary.ts FILE.cpuprofile [TOP=25]
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time by function ("name file:line"), in milliseconds, highest first. */
export function selfTimes(profile: Profile): { key: string; ms: number }[] {
  const keyById = new Map<number, string>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/^.*\//, "");
    keyById.set(node.id, `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}`);
  }
  const totals = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const key = keyById.get(id) ?? "?";
    totals.set(key, (totals.get(key) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000);
  });
  return [...totals].map(([key, ms]) => ({ key, ms })).sort((a, b) => b.ms - a.ms);
}

if (import.meta.main) {
  const [file, top = "25"] = Deno.args;
  if (!file) {
    console.error("Usage: deno run -R bench/profile_summary.ts FILE.cpuprofile [TOP]");
    Deno.exit(2);
  }
  const times = selfTimes(JSON.parse(Deno.readTextFileSync(file)) as Profile);
  const total = times.reduce((sum, entry) => sum + entry.ms, 0);
  console.log(`total ${total.toFixed(0)} ms sampled`);
  for (const { key, ms } of times.slice(0, Number(top))) {
    console.log(
      `${ms.toFixed(0).padStart(8)} ms  ${(100 * ms / total).toFixed(1).padStart(5)}%  ${key}`,
    );
  }
}
