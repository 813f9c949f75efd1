// `--replica-cpu <cores>`: each PostgreSQL replica in a cgroup of its own with a CPU quota, so that on a
// machine with fewer cores than replicas + PostgreSQL + wrk, every replica still has "its own core" (a
// fraction of one, the same for each) while PostgreSQL and wrk share what is left. Replicas scale when two
// quota-bound replicas answer twice what one does; without quotas, on 2 cores, two replicas only take
// cores from PostgreSQL and wrk, and the figure says nothing about scaling.
//
// cgroup v2 (`cpu.max` under /sys/fs/cgroup when it lists the cpu controller) or v1 (the `cpu` hierarchy's
// cfs quota); either needs root. The group is removed when the bench ends.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from './processes.ts';

const PERIOD_US = 100_000;

interface Hierarchy {
  root: string;
  quota(dir: string, cores: number): void;
}

function hierarchy(): Hierarchy | undefined {
  const v2 = '/sys/fs/cgroup';
  if (existsSync(join(v2, 'cgroup.controllers'))) {
    if (!readFileSync(join(v2, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('cpu')) return undefined;
    return {
      root: v2,
      quota: (dir, cores) =>
        writeFileSync(join(dir, 'cpu.max'), `${Math.round(cores * PERIOD_US)} ${PERIOD_US}`),
    };
  }
  const v1 = '/sys/fs/cgroup/cpu';
  if (!existsSync(join(v1, 'cpu.cfs_quota_us'))) return undefined;
  return {
    root: v1,
    quota: (dir, cores) => {
      writeFileSync(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
      writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(Math.round(cores * PERIOD_US)));
    },
  };
}

/** Puts process `pid` (all its threads) in a new cgroup limited to `cores`; returns its removal. */
export function limitCpu(pid: number, cores: number, name: string): () => void {
  const h = hierarchy();
  if (!h) fail('--replica-cpu needs a cgroup cpu controller (v1 /sys/fs/cgroup/cpu or v2 with cpu enabled)');
  const dir = join(h.root, `ringmaster-bench-${process.pid}-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`);
  try {
    mkdirSync(dir);
    h.quota(dir, cores);
    writeFileSync(join(dir, 'cgroup.procs'), String(pid));
  } catch (error) {
    fail(`--replica-cpu: cannot set a CPU quota in ${dir} (${(error as Error).message}); run as root`);
  }
  return () => {
    try {
      rmdirSync(dir); // only once the process has exited (its group is then empty)
    } catch {
      // still populated or already gone: the kernel keeps an empty group harmlessly
    }
  };
}
