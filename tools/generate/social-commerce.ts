/**
 * Deterministic synthetic Social Commerce event stream (the 44 event types of docs/catalog.md).
 *
 * Domain-specific on purpose, so it lives in tools/ and src/ stays domain-free. The payload shapes are
 * those of test/fixtures/events/examples.jsonl: same field names, same nesting, same kinds of values.
 *
 * How it works: a `World` holds compact state for the live entities of each kind, bucketed by their
 * state-machine status. Every step picks one action by weighted random among the actions that are
 * possible right now (a table of 44 rows, one per event type), runs it against the state and wraps the
 * returned payload in an envelope. All randomness comes from one seeded PRNG, so the output is a pure
 * function of (count, seed, start).
 *
 * This module is the entry point; the generator lives in ./social-commerce/, one concept per file:
 *
 * - generate-events.ts: `generateEvents`, the stream (bootstrap.ts first, then chooser.ts per step)
 * - action-table.ts, action.ts, chooser.ts: the weighted action table and how a row is picked
 * - users, suppliers, products, orders, posts, promotions, communities (.ts): each entity's state,
 *   documents and rows of the table, with the reference data only it uses
 * - world.ts (state, ids), clock.ts and format-time.ts (timestamps), envelope.ts (the output shape)
 * - rng.ts, find-one.ts, indexed-set.ts, registry.ts, live-cap.ts: randomness and state containers
 * - categories.ts, locations.ts, person.ts, slugify.ts: reference data shared by several entities
 *
 * The order of random draws is the stream: moving code between files is safe, reordering draws is not.
 */

export { EVENT_TYPES } from "./social-commerce/action-table.js";
export type { Envelope } from "./social-commerce/envelope.js";
export { type GenerateOptions, generateEvents } from "./social-commerce/generate-events.js";
