import type { Devices, RegisteredBy } from './devices.js';
import type { HealthWriter } from './health.js';
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

  constructor(
    private readonly userId: string,
    private readonly purpose: string,
    private readonly health: HealthWriter,
    private readonly devices: Devices,
    private readonly registeredBy: RegisteredBy,
    private readonly batchSize: number,
    private readonly treatmentSink?: TreatmentSink,
    /** Called after each batch has landed (progress reports). */
    private readonly onBatch?: (counts: IngestCounts) => Promise<void>,
  ) {}

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

  private skip(reason: string) {
    this.counts.records_skipped += 1;
    this.counts.skipped_by_reason[reason] = (this.counts.skipped_by_reason[reason] ?? 0) + 1;
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
      if (this.registered.has(source)) continue;
      const info = this.devicesSeen.get(source)!;
      await this.devices.ensure(this.userId, info, this.registeredBy, this.registeredBy !== 'nightscout');
      this.registered.add(source);
      if (!this.counts.sources.includes(source)) this.counts.sources.push(source);
    }
    const outcome = await this.health.ingest(
      this.userId,
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
