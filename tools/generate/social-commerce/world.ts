import type { Emit } from "./action.js";
import { Clock } from "./clock.js";
import type { Community, CommunityStatus } from "./communities.js";
import type { Envelope } from "./envelope.js";
import { DAY_US, formatTime } from "./format-time.js";
import { IndexedSet } from "./indexed-set.js";
import { type Location, STREETS } from "./locations.js";
import type { Order } from "./orders.js";
import type { Post, PostStatus } from "./posts.js";
import type { Product, ProductStatus } from "./products.js";
import type { Promotion, PromotionStatus } from "./promotions.js";
import { type Entity, Registry } from "./registry.js";
import { hex32, Rng } from "./rng.js";
import type { Supplier, SupplierStatus } from "./suppliers.js";
import type { User, UserStatus } from "./users.js";

/** Documentation and shared-address ranges (RFC 5737, RFC 6598, private): no real host is named. */
const IPV4_PREFIXES = ["203.0.113.", "198.51.100.", "192.0.2.", "100.64.12.", "172.16.40."] as const;
/** bcrypt's base-64 alphabet, so password hashes look real. */
const BCRYPT_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/**
 * The generator's whole state: the Rng and clock, id counters, and the live entities of each kind in
 * registries bucketed by status. Actions read and mutate it; nothing else is kept between events.
 */
export class World {
  readonly rng: Rng;
  readonly clock: Clock;
  /** 6 hex digits drawn from the seed: ids of different seeds never collide */
  private readonly idTag: string;
  private seq = 0;
  private orderDayNumber = -1;
  private orderDay = "";
  private orderSeq = 0;

  readonly users = new Registry<UserStatus, User>(["pending", "active", "locked"]);
  /** users with an open password reset, so user.password_reset only follows a request */
  readonly resetRequested = new IndexedSet<User>();
  /** deleted user ids: they stay counted in communities but can no longer act (leave, author, …) */
  readonly deletedUsers = new Set<string>();
  /** admins: never deleted or retired, so their ids stay valid as admin_id/reviewer_id */
  readonly staff: User[] = [];
  readonly suppliers = new Registry<SupplierStatus, Supplier>(["pending", "active"]);
  readonly products = new Registry<ProductStatus, Product>([
    "draft",
    "active",
    "out_of_stock",
    "discontinued",
  ]);
  readonly orders = new Registry<"pending", Order>(["pending"]);
  readonly posts = new Registry<PostStatus, Post>(["draft", "published", "hidden"]);
  /** posts waiting for post.global_distribution_approved */
  readonly distributionPending = new IndexedSet<Post>();
  readonly promotions = new Registry<PromotionStatus, Promotion>([
    "draft",
    "pending_review",
    "approved",
    "active",
    "paused",
  ]);
  readonly communities = new Registry<CommunityStatus, Community>(["active", "verified"]);

  constructor(seed: number, start: string) {
    this.rng = new Rng(seed);
    this.clock = new Clock(this.rng, start);
    this.idTag = hex32(this.rng.u32()).slice(0, 6);
  }

  /** Advance the clock to this step's instant (see Clock#tick). */
  tick(): void {
    this.clock.tick();
  }

  /** A document timestamp for now (see Clock#docTime). */
  docTime(): string {
    return this.clock.docTime();
  }

  /** Midnight UTC `days` from today (see Clock#dayStart). */
  dayStart(days: number): number {
    return this.clock.dayStart(days);
  }

  /** A number never handed out before: feeds ids, e-mails, slugs and SKUs so they are unique. */
  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  /** ObjectId-like: 8 hex creation seconds + 6 hex per-seed tag + 10 hex counter (unique). */
  newId(): string {
    return (
      Math.floor(this.clock.now / 1_000_000)
        .toString(16)
        .padStart(8, "0") +
      this.idTag +
      this.nextSeq().toString(16).padStart(10, "0")
    );
  }

  /** ORD-YYYYMMDD-NNNN, numbered per UTC day. */
  nextOrderNumber(): string {
    const dayNumber = Math.floor(this.clock.now / DAY_US);
    if (dayNumber !== this.orderDayNumber) {
      this.orderDayNumber = dayNumber;
      this.orderDay = formatTime(this.clock.now, false, 0).slice(0, 10).replaceAll("-", "");
      this.orderSeq = 0;
    }
    const day = this.orderDay;
    this.orderSeq += 1;
    return `ORD-${day}-${String(this.orderSeq).padStart(4, "0")}`;
  }

  /** A random moderator, for admin_id/reviewer_id/hidden_by fields. */
  staffId(): string {
    return this.rng.pick(this.staff).id;
  }

  /** Wrap an action's result in an envelope stamped with this step's timestamp and a fresh event id. */
  envelope(eventType: string, emit: Emit): Envelope {
    return {
      event_type: eventType,
      event_id: this.rng.uuid(),
      timestamp: this.clock.stamp,
      entity_id: emit.entityId,
      data: emit.data,
    };
  }

  /** Bump the document version for a change that the next full document will show. */
  touch(entity: { version: number; updatedAt: string }): void {
    entity.version += 1;
    entity.updatedAt = this.docTime();
  }

  /** A bcrypt-looking hash (random, never verified). */
  passwordHash(): string {
    return `$2b$12$${this.rng.chars(BCRYPT_ALPHABET, 53)}`;
  }

  /** A documentation-range IP address, mostly IPv4. */
  ip(): string {
    const { rng } = this;
    if (rng.chance(0.05))
      return `2001:db8:${rng.int(0, 0xffff).toString(16)}::${rng.int(1, 0xffff).toString(16)}`;
    return rng.pick(IPV4_PREFIXES) + rng.int(1, 254);
  }

  /** E.164; the first national digit is 2–9, as in real numbering plans. */
  phone(location: Location): string {
    return location.dial + this.rng.int(2, 9) + this.rng.digits(location.dial === "+1" ? 9 : 8);
  }

  /** A zip code in the location's format. */
  zip(location: Location): string {
    return location.zipPrefix + this.rng.digits(location.zipDigits);
  }

  /** House number and street. */
  street(): string {
    return `${this.rng.int(1, 9999)} ${this.rng.pick(STREETS)}`;
  }

  /** Drop a random live entity from the state (no event) when a kind exceeds its cap. */
  retireOverflow<S extends string, T extends Entity<S>>(
    registry: Registry<S, T>,
    cap: number,
    release: (entity: T) => boolean = () => true,
  ): void {
    if (registry.size <= cap) return;
    const victim = registry.random(this.rng);
    if (victim && release(victim)) registry.remove(victim);
  }
}
