// The wake-up port over the runtime's reference store and recording dispatcher, for unit tests of
// the wake-up path and the reconciler. DynamoStore's semantics (on the emulator in infra-test/):
// setWake is conditional on the version and bumps it; overdueWakes lists unfinished instances whose
// wake-up is due before the cutoff, earliest first; parkedWakes pages one shard of the parked ones
// after a mark, in key order; claimSweep moves a mark only from its current value; park is
// conditional on the stored wake-up and does not bump the version.
import { DUE_SHARDS, dueShard } from '../../adapters/aws/schema.ts';
import { parkKey, type AwsInstance, type ParkedWake, type Wake, type WakePort } from '../../adapters/aws/wake.ts';
import { isFinal, MemoryStore, RecordingDispatcher, VersionConflictError } from '../../runtime/index.ts';

export class WakeStore extends MemoryStore {
  /** The sweep's marks, one per shard. */
  marks: (string | undefined)[] = Array.from({ length: DUE_SHARDS }, () => undefined);

  async setWake(instance: AwsInstance, expectedVersion: number, wake: Wake | undefined): Promise<void> {
    const stored = (await this.load(instance.id)) as AwsInstance | undefined;
    if (!stored || stored.version !== expectedVersion) throw new VersionConflictError(instance.id, expectedVersion);
    const next: AwsInstance = { ...stored, version: expectedVersion + 1 };
    if (wake) next.wake = wake;
    else delete next.wake;
    this.instances.set(instance.id, JSON.stringify(next));
  }

  async overdueWakes(beforeIso: string, limit: number): Promise<{ instanceId: string; wake: Wake }[]> {
    return this.all()
      .filter((i) => i.wake && !isFinal(i.status) && i.wake.at < beforeIso)
      .sort((a, b) => a.wake!.at.localeCompare(b.wake!.at))
      .slice(0, limit)
      .map((i) => ({ instanceId: i.id, wake: i.wake! }));
  }

  async parkedWakes(shard: number, after: string | undefined, beforeIso: string, limit: number): Promise<ParkedWake[]> {
    return this.all()
      .filter((i) => i.wake?.parked && !isFinal(i.status) && dueShard(i.id) === String(shard))
      .map((i) => ({ instanceId: i.id, wake: i.wake!, key: parkKey(i.id, i.wake!.at) }))
      .filter((p) => (after === undefined || p.key > after) && p.key < beforeIso)
      .sort((a, b) => (a.key < b.key ? -1 : 1))
      .slice(0, limit);
  }

  async sweepMarks(): Promise<(string | undefined)[]> {
    return [...this.marks];
  }

  async claimSweep(shard: number, from: string | undefined, to: string): Promise<boolean> {
    if (this.marks[shard] !== from) return false;
    this.marks[shard] = to;
    return true;
  }

  /** Like DynamoStore.park: only the stored wake-up, not parked yet; no version bump. */
  async park(instanceId: string, wake: Wake): Promise<boolean> {
    const stored = (await this.load(instanceId)) as AwsInstance | undefined;
    const w = stored?.wake;
    if (!stored || !w || w.id !== wake.id || w.at !== wake.at || w.parked) return false;
    this.instances.set(instanceId, JSON.stringify({ ...stored, wake: { id: w.id, at: w.at, parked: true } }));
    return true;
  }

  private all(): AwsInstance[] {
    return [...this.instances.values()].map((j) => JSON.parse(j) as AwsInstance);
  }
}

export class WakeDispatcher extends RecordingDispatcher {
  wakes: (Wake & { instanceId: string; repair?: boolean })[] = [];
  async sendWake(instanceId: string, wake: Wake, opts: { repair?: boolean } = {}): Promise<void> {
    this.wakes.push({ ...wake, instanceId, ...(opts.repair ? { repair: true } : {}) });
  }
  async sendWakes(wakes: { instanceId: string; wake: Wake }[]): Promise<void> {
    for (const w of wakes) await this.sendWake(w.instanceId, w.wake);
  }
}

export const wakePort = (store: WakeStore, sender: WakeDispatcher): WakePort => ({ store, sender });
