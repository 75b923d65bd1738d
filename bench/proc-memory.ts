/**
 * Resident memory of another process, from Linux's `/proc/<pid>/status`: its RSS now (VmRSS) and
 * its peak (VmHWM), which `resetPeak` sets back to the RSS now (writing 5 to `clear_refs`, Linux
 * ≥ 4.0, a process of the same user), and a sampler of VmRSS beside it, for kernels or sandboxes
 * that refuse the reset. Bench helpers, not benchmarks.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** RSS and peak RSS of a process, bytes. */
export interface ResidentMemory {
  readonly rss: number;
  readonly peak: number;
}

/** VmRSS and VmHWM of `pid`. */
export function residentMemory(pid: number): ResidentMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (match === null) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(match[1]) * 1024;
  };
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** Sets `pid`'s peak RSS back to its RSS now; false if the kernel refused (the sampler still counts). */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Samples `pid`'s RSS every `everyMs` until stopped; `stop` returns the highest sample. */
export function sampleRss(pid: number, everyMs = 20): { stop(): number } {
  let highest = residentMemory(pid).rss;
  const timer = setInterval(() => {
    try {
      highest = Math.max(highest, residentMemory(pid).rss);
    } catch {
      // The process exited: its samples so far stand.
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return highest;
    },
  };
}
