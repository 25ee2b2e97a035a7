/**
 * Tasks for examples/saga: simulated booking services. Deterministic by destination: flights to
 * `Atlantis` have no seats (a permanent failure of type `NoSeats`; the declaration allows no
 * retries), so the hotel is booked and then cancelled. Every other trip books all three.
 *
 *   await bookFlight('t1', 'Lisbon')    // => 'flight-t1'
 *   await bookFlight('t2', 'Atlantis')  // throws NoSeats
 */
const work = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function bookHotel(trip: string) {
  await work(20);
  return `hotel-${trip}`;
}

export async function bookFlight(trip: string, to: string) {
  await work(20);
  if (to === 'Atlantis') {
    const err = new Error(`no seats to ${to}`);
    err.name = 'NoSeats';
    throw err;
  }
  return `flight-${trip}`;
}

export async function bookCar(trip: string) {
  await work(20);
  return `car-${trip}`;
}

export async function cancelHotel(booking: string) {
  await work(20);
  console.error(`cancelled ${booking}`);
  return null;
}

export async function cancelFlight(booking: string) {
  await work(20);
  console.error(`cancelled ${booking}`);
  return null;
}
