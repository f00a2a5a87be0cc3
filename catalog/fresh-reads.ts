interface Flight<V> {
  running: Promise<V>;
  /** The read that begins when `running` ends, shared by everyone who asked meanwhile. */
  next: { promise: Promise<V>; begin: () => void } | undefined;
}

/**
 * Shares database reads among concurrent callers asking for the same key, without ever
 * answering a caller with a read that began before it asked.
 *
 * Why: every site polls the latest catalog, and a replica behind a cache sees bursts of
 * revalidations of one path; one query per request made the database round trip the limit
 * of a replica (PostgreSQL answers over a pool of ten connections). Why not a cache: a
 * publish through another replica must be served at once (threat: a superseded catalog
 * kept alive, a freeze attack); an answer from a read that began before a request arrived
 * could predate a publish the client already saw elsewhere. So a caller that finds a read
 * under way does not join it but waits for the next one, which begins when that one ends
 * and is shared by every caller that arrived in between. Each answer is therefore as
 * fresh as a query of its own would be, and a key costs at most one read in flight plus
 * one waiting, however many requests ask.
 */
export class FreshReads<V> {
  private readonly flights = new Map<string, Flight<V>>();

  read(key: string, fn: () => Promise<V>): Promise<V> {
    const flight = this.flights.get(key);
    if (!flight) return this.start(key, fn);
    if (!flight.next) {
      let begin!: () => void;
      const promise = new Promise<V>((resolve) => {
        begin = () => resolve(this.start(key, fn));
      });
      flight.next = { promise, begin };
    }
    return flight.next.promise;
  }

  /** Keys with a read under way (for tests). */
  get size(): number {
    return this.flights.size;
  }

  private start(key: string, fn: () => Promise<V>): Promise<V> {
    // Called now, synchronously: the read begins after every caller it answers asked.
    const flight: Flight<V> = {
      running: new Promise<V>((resolve) => resolve(fn())),
      next: undefined,
    };
    this.flights.set(key, flight);
    const settle = () => {
      if (flight.next) flight.next.begin();
      else this.flights.delete(key);
    };
    flight.running.then(settle, settle);
    return flight.running;
  }
}
