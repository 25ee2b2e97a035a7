// The wake-up port over the runtime's reference store and recording dispatcher, for unit tests of
// the wake-up path and the reconciler. DynamoStore's semantics (on the emulator in infra-test/):
// setWake is conditional on the version and bumps it; overdueWakes lists unfinished instances whose
// wake-up is due before the cutoff, earliest first; parkedWakes the parked ones; unpark and park are
// conditional on the stored wake-up and do not bump the version.
import type { AwsInstance, Wake, WakePort } from '../../adapters/aws/wake.ts';
import { isFinal, MemoryStore, RecordingDispatcher, VersionConflictError } from '../../runtime/index.ts';

export class WakeStore extends MemoryStore {
  async setWake(instance: AwsInstance, expectedVersion: number, wake: Wake | undefined): Promise<void> {
    const stored = (await this.load(instance.id)) as AwsInstance | undefined;
    if (!stored || stored.version !== expectedVersion) throw new VersionConflictError(instance.id, expectedVersion);
    const next: AwsInstance = { ...stored, version: expectedVersion + 1 };
    if (wake) next.wake = wake;
    else delete next.wake;
    this.instances.set(instance.id, JSON.stringify(next));
  }

  async overdueWakes(beforeIso: string, limit: number): Promise<{ instanceId: string; wake: Wake }[]> {
    const all = [...this.instances.values()].map((j) => JSON.parse(j) as AwsInstance);
    return all
      .filter((i) => i.wake && !isFinal(i.status) && i.wake.at < beforeIso)
      .sort((a, b) => a.wake!.at.localeCompare(b.wake!.at))
      .slice(0, limit)
      .map((i) => ({ instanceId: i.id, wake: i.wake! }));
  }

  async parkedWakes(beforeIso: string, limit: number): Promise<{ instanceId: string; wake: Wake }[]> {
    return (await this.overdueWakes(beforeIso, Number.MAX_SAFE_INTEGER)).filter((f) => f.wake.parked).slice(0, limit);
  }

  /** Like DynamoStore.unpark: only the stored, still parked wake-up; no version bump. */
  async unpark(instanceId: string, wake: Wake): Promise<boolean> {
    return this.updateWake(instanceId, (w) => w.id === wake.id && w.at === wake.at && w.parked === true, (w) => ({ id: w.id, at: w.at }));
  }

  /** Like DynamoStore.park: only the stored wake-up, not parked yet; no version bump. */
  async park(instanceId: string, wake: Wake): Promise<boolean> {
    return this.updateWake(instanceId, (w) => w.id === wake.id && w.at === wake.at && !w.parked, (w) => ({ id: w.id, at: w.at, parked: true }));
  }

  private async updateWake(instanceId: string, ok: (w: Wake) => boolean, next: (w: Wake) => Wake): Promise<boolean> {
    const stored = (await this.load(instanceId)) as AwsInstance | undefined;
    if (!stored?.wake || !ok(stored.wake)) return false;
    this.instances.set(instanceId, JSON.stringify({ ...stored, wake: next(stored.wake) }));
    return true;
  }
}

export class WakeDispatcher extends RecordingDispatcher {
  wakes: (Wake & { instanceId: string; repair?: boolean })[] = [];
  async sendWake(instanceId: string, wake: Wake, opts: { repair?: boolean } = {}): Promise<void> {
    this.wakes.push({ ...wake, instanceId, ...(opts.repair ? { repair: true } : {}) });
  }
}

export const wakePort = (store: WakeStore, sender: WakeDispatcher): WakePort => ({ store, sender });
