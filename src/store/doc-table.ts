/**
 * The embedded store's documents: key → JSON text and etag, with the texts outside V8's heap.
 *
 * Why: every garbage collection of the bot's process traces and moves what lives on the heap. Kept
 * as strings, the documents were most of the heap's bytes (about 100 MB at the benchmark's data
 * set): each full collection marked them, and copied those on fragmented pages, while requests
 * waited. Here each document is one record of UTF-8 bytes in a large Buffer ("slab", memory V8 never
 * scans or moves); the heap holds only the key and a slot number (a small integer, no object).
 *
 * Layout: a record is the etag's bytes, then the JSON's; slot i says in which slab (`slabOf`), where
 * (`offsetOf`) and how long each part is (`etagBytes`, `jsonBytes`). New records go to the end of the
 * current slab. A replaced or deleted record leaves dead bytes behind; a full slab whose live bytes
 * fall under half is emptied by moving its live records to the current slab (a copy of bytes,
 * no decoding), and then reused. Records larger than a quarter of a slab get a Buffer of their own.
 */

/** Bytes per slab. */
const SLAB_BYTES = 4 * 1024 * 1024;
/** A record larger than this gets a Buffer of its own. */
const LARGE_RECORD = SLAB_BYTES / 4;
/** A full slab is emptied (its live records moved) once less than this share of its bytes is live. */
const EVACUATE_BELOW = 0.5;

interface Slab {
  buf: Buffer;
  /** Bytes written (the end of the last record). */
  used: number;
  /** Bytes of records still in use. */
  live: number;
  /** Slots written into this slab (some may have moved or been freed since: checked on use). */
  slots: number[];
}

export class DocTable {
  private readonly slotOf = new Map<string, number>();
  private keys: (string | undefined)[] = [];
  private slabOf = new Int32Array(1024);
  private offsetOf = new Int32Array(1024);
  private etagBytes = new Int32Array(1024);
  private jsonBytes = new Int32Array(1024);
  private readonly freeSlots: number[] = [];
  private readonly slabs: (Slab | undefined)[] = [];
  private readonly freeSlabs: number[] = [];
  private current = -1;
  private evacuating = false;

  get size(): number {
    return this.slotOf.size;
  }

  has(key: string): boolean {
    return this.slotOf.has(key);
  }

  /** The etag of the document under `key`, if there is one. */
  etag(key: string): string | undefined {
    const slot = this.slotOf.get(key);
    if (slot === undefined) return undefined;
    const offset = this.offsetOf[slot]!;
    return this.slabs[this.slabOf[slot]!]!.buf.toString('utf8', offset, offset + this.etagBytes[slot]!);
  }

  /** The JSON text and etag of the document under `key`, if there is one. */
  get(key: string): { json: string; etag: string } | undefined {
    const slot = this.slotOf.get(key);
    if (slot === undefined) return undefined;
    return this.record(slot);
  }

  set(key: string, json: string, etag: string): void {
    const old = this.slotOf.get(key);
    const released = old !== undefined ? this.release(old) : -1;
    const slot = old ?? this.freeSlots.pop() ?? this.newSlot();
    this.keys[slot] = key;
    this.write(slot, etag, json);
    this.slotOf.set(key, slot);
    this.evacuateIfSparse(released);
  }

  delete(key: string): void {
    const slot = this.slotOf.get(key);
    if (slot === undefined) return;
    this.slotOf.delete(key);
    const released = this.release(slot);
    this.keys[slot] = undefined;
    this.freeSlots.push(slot);
    this.evacuateIfSparse(released);
  }

  /**
   * Every document as [key, etag, json], read as the iteration reaches it (documents set meanwhile
   * are seen or not, as with a Map). For the snapshot, which pauses between documents.
   */
  *entries(): IterableIterator<[string, string, string]> {
    for (const [key, slot] of this.slotOf) {
      const { json, etag } = this.record(slot);
      yield [key, etag, json];
    }
  }

  /** Bytes held outside the heap, and of them those of live records (for tests and figures). */
  bytes(): { held: number; live: number } {
    let held = 0;
    let live = 0;
    for (const slab of this.slabs) {
      if (!slab) continue;
      held += slab.buf.length;
      live += slab.live;
    }
    return { held, live };
  }

  // ---------------------------------------------------------------- internals

  private record(slot: number): { json: string; etag: string } {
    const buf = this.slabs[this.slabOf[slot]!]!.buf;
    const offset = this.offsetOf[slot]!;
    const etagEnd = offset + this.etagBytes[slot]!;
    return { etag: buf.toString('utf8', offset, etagEnd), json: buf.toString('utf8', etagEnd, etagEnd + this.jsonBytes[slot]!) };
  }

  private newSlot(): number {
    const slot = this.keys.length;
    this.keys.push(undefined);
    if (slot >= this.slabOf.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.slabOf = grow(this.slabOf);
      this.offsetOf = grow(this.offsetOf);
      this.etagBytes = grow(this.etagBytes);
      this.jsonBytes = grow(this.jsonBytes);
    }
    return slot;
  }

  /**
   * The record of `slot` is no longer used: its bytes are dead. A slab without live bytes goes.
   * Returns the slab, for `evacuateIfSparse` once the caller is done (-1 when it went).
   */
  private release(slot: number): number {
    const index = this.slabOf[slot]!;
    const slab = this.slabs[index]!;
    slab.live -= this.etagBytes[slot]! + this.jsonBytes[slot]!;
    if (slab.live > 0 || index === this.current) return index;
    this.dropSlab(index);
    return -1;
  }

  /** Writes a record for `slot` (UTF-8 at most triples a string's length: room is reserved for that). */
  private write(slot: number, etag: string, json: string): void {
    const most = (etag.length + json.length) * 3;
    let index = this.current;
    let slab = index >= 0 ? this.slabs[index] : undefined;
    let filled = -1;
    if (most > LARGE_RECORD) {
      index = this.addSlab(Buffer.allocUnsafeSlow(Buffer.byteLength(etag) + Buffer.byteLength(json)));
      slab = this.slabs[index]!;
    } else if (!slab || slab.used + most > slab.buf.length) {
      filled = this.current;
      index = this.current = this.addSlab(Buffer.allocUnsafeSlow(SLAB_BYTES));
      slab = this.slabs[index]!;
    }
    const offset = slab!.used;
    const e = slab!.buf.write(etag, offset, 'utf8');
    const j = slab!.buf.write(json, offset + e, 'utf8');
    slab!.used += e + j;
    slab!.live += e + j;
    slab!.slots.push(slot);
    this.slabOf[slot] = index;
    this.offsetOf[slot] = offset;
    this.etagBytes[slot] = e;
    this.jsonBytes[slot] = j;
    // The slab that filled up may be mostly dead already (documents replaced while it was current).
    if (filled >= 0) {
      if (this.slabs[filled]!.live === 0) this.dropSlab(filled);
      else this.evacuateIfSparse(filled);
    }
  }

  private addSlab(buf: Buffer): number {
    const slab: Slab = { buf, used: 0, live: 0, slots: [] };
    const index = this.freeSlabs.pop();
    if (index !== undefined) {
      this.slabs[index] = slab;
      return index;
    }
    this.slabs.push(slab);
    return this.slabs.length - 1;
  }

  private dropSlab(index: number): void {
    this.slabs[index] = undefined;
    this.freeSlabs.push(index);
  }

  /** Moves the live records of a full, mostly dead slab to the current one, and drops it. */
  private evacuateIfSparse(index: number): void {
    const slab = index >= 0 ? this.slabs[index] : undefined;
    if (!slab || index === this.current || this.evacuating || slab.live >= slab.used * EVACUATE_BELOW) return;
    const current = this.current;
    this.evacuating = true;
    try {
      for (const slot of slab.slots) {
        const key = this.keys[slot];
        // Moved, freed or reused since it was written here.
        if (key === undefined || this.slabOf[slot] !== index || this.slotOf.get(key) !== slot) continue;
        const offset = this.offsetOf[slot]!;
        const length = this.etagBytes[slot]! + this.jsonBytes[slot]!;
        const target = this.roomFor(length);
        slab.buf.copy(target.slab.buf, target.slab.used, offset, offset + length);
        slab.live -= length;
        target.slab.used += length;
        target.slab.live += length;
        target.slab.slots.push(slot);
        this.slabOf[slot] = target.index;
        this.offsetOf[slot] = target.slab.used - length;
      }
      this.dropSlab(index);
    } finally {
      this.evacuating = false;
    }
    // The moved records filled the current slab: the one they filled may be mostly dead itself.
    if (this.current !== current) this.evacuateIfSparse(current);
  }

  /** The current slab if `length` bytes fit in it, else a new current one. */
  private roomFor(length: number): { index: number; slab: Slab } {
    const current = this.current >= 0 ? this.slabs[this.current] : undefined;
    if (current && current.used + length <= current.buf.length) return { index: this.current, slab: current };
    this.current = this.addSlab(Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, length)));
    return { index: this.current, slab: this.slabs[this.current]! };
  }
}
