/**
 * Reads a process's memory and CPU use from Linux's /proc: peak and current resident set size
 * (VmHWM, VmRSS in /proc/PID/status) and user plus system CPU time (/proc/PID/stat). The bench uses
 * it for the relay and for the load process itself. Elsewhere than Linux every reading is null.
 */

/** One reading of a process's resources. */
export interface ProcessSample {
  /** Resident set size now, in kB. */
  rssKb: number;
  /** Peak resident set size so far, in kB. */
  peakRssKb: number;
  /** User plus system CPU time so far, in seconds. */
  cpuSeconds: number;
}

/** Clock ticks per second in /proc/PID/stat; 100 on every Linux this is likely to meet. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Reads the resources of process `pid`, or of this process; null when /proc cannot be read. */
export function sampleProcess(pid: number = Deno.pid): ProcessSample | null {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return {
      rssKb: statusField(status, "VmRSS"),
      peakRssKb: statusField(status, "VmHWM"),
      cpuSeconds: cpuSecondsFromStat(stat),
    };
  } catch {
    return null;
  }
}

/** A "Name:   1234 kB" field of /proc/PID/status, in kB. */
export function statusField(status: string, name: string): number {
  const match = status.match(new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, "m"));
  if (!match) throw new TypeError(`/proc status has no ${name} field`);
  return Number(match[1]);
}

/** utime + stime of a /proc/PID/stat line, in seconds. */
export function cpuSecondsFromStat(stat: string): number {
  // The command name (field 2) may hold spaces and parentheses; fields resume after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After the name, state is field 3; utime and stime are fields 14 and 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new TypeError("/proc stat has no utime or stime");
  }
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}
