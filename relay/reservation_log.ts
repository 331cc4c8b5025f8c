/**
 * Name reservations on their way to storage. A join, a drop and a quit each change one; written
 * one by one they cost a transaction each, which a storm of joins cannot afford. They are batched
 * into one transaction after the current turn. Losing the last batch to a crash only means those
 * names are not held for their owners after the restart.
 */
import type { RelayStore, Reservation, ReservationChange } from "./store.ts";

/** Batches reservation changes into transactions. */
export class ReservationLog {
  readonly #store: RelayStore;
  readonly #defer: (flush: () => void) => void;
  readonly #log: (line: string) => void;
  #pending: ReservationChange[] = [];

  constructor(
    store: RelayStore,
    options: { defer: (flush: () => void) => void; log: (line: string) => void },
  ) {
    this.#store = store;
    this.#defer = options.defer;
    this.#log = options.log;
  }

  /** Holds `reservation.name` in its room until `reservation.expiresAt`. */
  save(reservation: Reservation): void {
    this.#queue({ kind: "save", reservation });
  }

  /** Releases a name. */
  remove(room: string, name: string): void {
    this.#queue({ kind: "delete", room, name });
  }

  /** Writes what is pending now. */
  flush(): void {
    if (this.#pending.length === 0) return;
    const changes = this.#pending;
    this.#pending = [];
    try {
      this.#store.updateReservations(changes);
    } catch (error) {
      // Reservations are a courtesy across restarts; failing to store them must not stop the relay.
      this.#log(`could not store ${changes.length} name reservation(s): ${String(error)}`);
    }
  }

  #queue(change: ReservationChange): void {
    if (this.#pending.length === 0) this.#defer(() => this.flush());
    this.#pending.push(change);
  }
}
