/**
 * Live entities kept per kind. Beyond the cap a random entity "goes quiet" (retired from the state
 * without an event, like most real accounts), so memory stays flat for streams of millions of events.
 */
export const LIVE_CAP = {
  users: 20_000,
  suppliers: 2_000,
  products: 10_000,
  orders: 5_000,
  posts: 10_000,
  promotions: 2_000,
  communities: 1_000,
} as const;
