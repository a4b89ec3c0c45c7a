import type { Devices, RegisteredBy } from './devices.js';
import { encodedReadings, type ActingUser, type HealthWriter } from './health.js';
import type { EncodedReadings, ParsedBatch } from './parse-job.js';
import type { DeviceInfo, ParsedEvent, Reading, Ref } from './parsers/types.js';
import { parseOffsetIso } from './time.js';

/** How many problems an import keeps, with where they are; beyond that only the count grows. */
export const MAX_LISTED_ERRORS = 200;

export interface IngestCounts {
  records_read: number;
  readings_sent: number;
  readings_created: number;
  readings_duplicate: number;
  records_skipped: number;
  records_invalid: number;
  treatments_stored: number;
  skipped_by_reason: Record<string, number>;
  errors: { ref: Ref; problem: string }[];
  sources: string[];
}

export const emptyCounts = (): IngestCounts => ({
  records_read: 0,
  readings_sent: 0,
  readings_created: 0,
  readings_duplicate: 0,
  records_skipped: 0,
  records_invalid: 0,
  treatments_stored: 0,
  skipped_by_reason: {},
  errors: [],
  sources: [],
});

export interface TreatmentSink {
  store(userId: string, documents: Record<string, unknown>[]): Promise<number>;
}

/**
 * Takes what a parser yields and lands it: readings in batches in health tracking (registering each
 * new source as a device first), treatments in this service, skipped and invalid records counted with
 * where they are. `flush` must be called at the end.
 */
export class Ingestor {
  readonly counts: IngestCounts = emptyCounts();
  private pending: { ref: Ref; reading: Reading }[] = [];
  private treatments: Record<string, unknown>[] = [];
  private readonly devicesSeen = new Map<string, DeviceInfo>();
  private readonly registered = new Set<string>();
  /** Sources of parsed batches, by the index their readings carry (see ParsedBatch.newSources). */
  private readonly sourceTable: DeviceInfo[] = [];

  private readonly userId: string;

  constructor(
    /** Whose readings these are (with the role of the request that started the work, when known). */
    private readonly user: ActingUser,
    private readonly purpose: string,
    private readonly health: HealthWriter,
    private readonly devices: Devices,
    private readonly registeredBy: RegisteredBy,
    private readonly batchSize: number,
    private readonly treatmentSink?: TreatmentSink,
    /** Called after each batch has landed (progress reports). */
    private readonly onBatch?: (counts: IngestCounts) => Promise<void>,
  ) {
    this.userId = user.userId;
  }

  async add(event: ParsedEvent): Promise<void> {
    this.counts.records_read += 1;
    switch (event.kind) {
      case 'reading':
        if (!this.devicesSeen.has(event.device.source))
          this.devicesSeen.set(event.device.source, event.device);
        this.pending.push({ ref: event.ref, reading: event.reading });
        if (this.pending.length >= this.batchSize) await this.flushReadings();
        break;
      case 'treatment':
        if (!this.treatmentSink) {
          this.skip('Treatments are not accepted here');
          break;
        }
        this.treatments.push(event.document);
        if (this.treatments.length >= 500) await this.flushTreatments();
        break;
      case 'skipped':
        this.skip(event.reason);
        break;
      case 'invalid':
        this.problem(event.ref, event.problem);
        break;
    }
  }

  /**
   * Takes a batch parsed and encoded by a parse job (file imports): its readings are sent to health
   * tracking as encoded, and the progress callback runs once the batch has landed.
   */
  async addBatch(batch: ParsedBatch): Promise<void> {
    this.counts.records_read += batch.records;
    for (const [reason, count] of batch.skipped) this.skip(reason, count);
    for (const p of batch.invalid) this.problem(p.ref, p.problem);
    this.counts.records_invalid += batch.invalidUnlisted;
    for (const device of batch.newSources) this.sourceTable.push(device);
    if (batch.treatments.length > 0) {
      if (this.treatmentSink) {
        this.counts.treatments_stored += await this.treatmentSink.store(this.userId, batch.treatments);
      } else {
        this.skip('Treatments are not accepted here', batch.treatments.length);
      }
    }
    if (batch.readings) await this.storeEncoded(batch.readings);
    await this.onBatch?.(this.counts);
  }

  private async storeEncoded(readings: EncodedReadings) {
    const used = new Set(readings.source);
    for (const index of used) {
      const device = this.sourceTable[index];
      if (!device) throw new Error(`parsed batch names unknown source #${index}`);
      await this.register(device.source, device);
    }
    const outcome = await this.health.ingest(this.user, this.purpose, encodedReadings(readings));
    this.counts.readings_sent += readings.count;
    this.counts.readings_created += outcome.created;
    this.counts.readings_duplicate += outcome.duplicates;
    const refs = outcome.rejected.size > 0 ? Buffer.from(readings.refs).toString('utf8').split('\n') : [];
    for (const [i, why] of outcome.rejected) this.problem(refs[i] ?? `reading ${i + 1}`, why);
    // Per source: how many landed and the time they span (typed arrays: no object per reading).
    const count = new Map<number, number>();
    const from = new Map<number, number>();
    const to = new Map<number, number>();
    for (let i = 0; i < readings.count; i += 1) {
      if (outcome.rejected.size > 0 && outcome.rejected.has(i)) continue;
      const s = readings.source[i]!;
      const at = readings.ms[i]!;
      const n = count.get(s);
      if (n === undefined) {
        count.set(s, 1);
        from.set(s, at);
        to.set(s, at);
      } else {
        count.set(s, n + 1);
        if (at < from.get(s)!) from.set(s, at);
        if (at > to.get(s)!) to.set(s, at);
      }
    }
    for (const [s, n] of count) {
      await this.devices.noteReadings(this.userId, this.sourceTable[s]!.source, n, from.get(s)!, to.get(s)!);
    }
  }

  /** Registers a source as a device (once per ingestor) and lists it among the import's sources. */
  private async register(source: string, info: DeviceInfo) {
    if (this.registered.has(source)) return;
    await this.devices.ensure(this.userId, info, this.registeredBy, this.registeredBy !== 'nightscout');
    this.registered.add(source);
    if (!this.counts.sources.includes(source)) this.counts.sources.push(source);
  }

  private skip(reason: string, count = 1) {
    this.counts.records_skipped += count;
    this.counts.skipped_by_reason[reason] = (this.counts.skipped_by_reason[reason] ?? 0) + count;
  }

  private problem(ref: Ref, problem: string) {
    this.counts.records_invalid += 1;
    if (this.counts.errors.length < MAX_LISTED_ERRORS) this.counts.errors.push({ ref, problem });
  }

  async flush(): Promise<void> {
    await this.flushReadings();
    await this.flushTreatments();
  }

  private async flushTreatments() {
    if (this.treatments.length === 0 || !this.treatmentSink) return;
    const batch = this.treatments;
    this.treatments = [];
    this.counts.treatments_stored += await this.treatmentSink.store(this.userId, batch);
  }

  private async flushReadings() {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    for (const source of new Set(batch.map((b) => b.reading.source))) {
      await this.register(source, this.devicesSeen.get(source)!);
    }
    const outcome = await this.health.ingest(
      this.user,
      this.purpose,
      batch.map((b) => b.reading),
    );
    this.counts.readings_sent += batch.length;
    this.counts.readings_created += outcome.created;
    this.counts.readings_duplicate += outcome.duplicates;
    const perSource = new Map<string, { count: number; from: number; to: number }>();
    batch.forEach((b, i) => {
      const why = outcome.rejected.get(i);
      if (why !== undefined) {
        this.problem(b.ref, why);
        return;
      }
      const at = parseOffsetIso(b.reading.timestamp)?.ms ?? 0;
      const s = perSource.get(b.reading.source) ?? { count: 0, from: at, to: at };
      s.count += 1;
      s.from = Math.min(s.from, at);
      s.to = Math.max(s.to, at);
      perSource.set(b.reading.source, s);
    });
    for (const [source, s] of perSource)
      await this.devices.noteReadings(this.userId, source, s.count, s.from, s.to);
    await this.onBatch?.(this.counts);
  }
}
