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
 */

export interface Envelope {
  event_type: string;
  event_id: string;
  timestamp: string;
  entity_id: string;
  data: Record<string, unknown>;
}

export interface GenerateOptions {
  count: number;
  /** default 1 */
  seed?: number;
  /** ISO-8601, default "2025-01-01T00:00:00Z" */
  start?: string;
}

const DEFAULT_START = "2025-01-01T00:00:00Z";

/**
 * Live entities kept per kind. Beyond the cap a random entity "goes quiet" (retired from the state
 * without an event, like most real accounts), so memory stays flat for streams of millions of events.
 */
const LIVE_CAP = {
  users: 20_000,
  suppliers: 2_000,
  products: 10_000,
  orders: 5_000,
  posts: 10_000,
  promotions: 2_000,
  communities: 1_000,
} as const;

// ─── randomness ──────────────────────────────────────────────────────────────────────────────

const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function hex32(n: number): string {
  return (
    HEX_BYTE[(n >>> 24) & 255]! +
    HEX_BYTE[(n >>> 16) & 255]! +
    HEX_BYTE[(n >>> 8) & 255]! +
    HEX_BYTE[n & 255]!
  );
}

/** mulberry32: tiny, fast, good enough for synthetic data, and identical on every platform. */
class Rng {
  private state: number;

  constructor(seed: number) {
    // Spread small consecutive seeds (1, 2, 3…) over the whole 32-bit state space; fold in the high
    // bits so that integer seeds up to 2^53 differ too.
    const low = seed >>> 0;
    const high = Math.floor(seed / 4294967296) >>> 0;
    this.state = (Math.imul(low ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(high, 0xc2b2ae35)) >>> 0;
  }

  u32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** [0, 1) */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** integer in [min, max] */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)]!;
  }

  /** up to n distinct elements, in random order */
  sample<T>(items: readonly T[], n: number): T[] {
    const copy = items.slice();
    const out: T[] = [];
    while (out.length < n && copy.length > 0) {
      const i = Math.floor(this.float() * copy.length);
      out.push(copy[i]!);
      copy[i] = copy[copy.length - 1]!;
      copy.pop();
    }
    return out;
  }

  /** RFC 4122 version 4 layout, lowercase. */
  uuid(): string {
    const a = this.u32();
    const b = this.u32();
    const c = this.u32();
    const d = this.u32();
    const h = HEX_BYTE;
    // xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx: version nibble 4, variant bits 10
    return (
      `${hex32(a)}-${h[b >>> 24]}${h[(b >>> 16) & 255]}-${h[((b >>> 8) & 0x0f) | 0x40]}${h[b & 255]}-` +
      `${h[((c >>> 24) & 0x3f) | 0x80]}${h[(c >>> 16) & 255]}-${h[(c >>> 8) & 255]}${h[c & 255]}${hex32(d)}`
    );
  }

  chars(alphabet: string, n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.float() * alphabet.length)];
    return s;
  }

  digits(n: number): string {
    return this.chars("0123456789", n);
  }
}

// ─── time ────────────────────────────────────────────────────────────────────────────────────

/** Offsets (minutes) a timestamp may be expressed in: Europe, the Americas, India, Japan. */
const OFFSETS = [60, 120, -300, -480, 330, 540] as const;

function offsetSuffix(minutes: number): string {
  if (minutes === 0) return "Z";
  const abs = Math.abs(minutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, "0");
  const mm = String(abs % 60).padStart(2, "0");
  return `${minutes < 0 ? "-" : "+"}${hh}:${mm}`;
}

const TWO_DIGITS: readonly string[] = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, "0"));
const DAY_MS = 86_400_000;
/** "YYYY-MM-DDT" per day number: Date#toISOString is slow, and a stream stays on one day for a long time. */
const dayPrefixes = new Map<number, string>();

function dayPrefix(day: number): string {
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    if (dayPrefixes.size > 4096) dayPrefixes.clear();
    prefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
    dayPrefixes.set(day, prefix);
  }
  return prefix;
}

/** The instant `us` (µs since epoch) as ISO-8601 local time in `offsetMin`; fraction = 6 digits or none. */
function formatTime(us: number, withFraction: boolean, offsetMin: number): string {
  const localMs = Math.floor(us / 1000) + offsetMin * 60_000;
  const day = Math.floor(localMs / DAY_MS);
  const secondOfDay = Math.floor((localMs - day * DAY_MS) / 1000);
  const time = `${TWO_DIGITS[Math.floor(secondOfDay / 3600)]}:${TWO_DIGITS[Math.floor(secondOfDay / 60) % 60]}:${TWO_DIGITS[secondOfDay % 60]}`;
  const fraction = withFraction ? `.${String(us % 1_000_000).padStart(6, "0")}` : "";
  return dayPrefix(day) + time + fraction + offsetSuffix(offsetMin);
}

const DAY_US = 86_400_000_000;

// ─── indexed collections ─────────────────────────────────────────────────────────────────────

/** A set with O(1) add, delete and uniform random pick (swap-remove over an array). */
class IndexedSet<T> {
  private readonly items: T[] = [];
  private readonly index = new Map<T, number>();

  get size(): number {
    return this.items.length;
  }

  has(value: T): boolean {
    return this.index.has(value);
  }

  add(value: T): void {
    if (this.index.has(value)) return;
    this.index.set(value, this.items.length);
    this.items.push(value);
  }

  delete(value: T): boolean {
    const i = this.index.get(value);
    if (i === undefined) return false;
    const last = this.items.pop()!;
    if (i < this.items.length) {
      this.items[i] = last;
      this.index.set(last, i);
    }
    this.index.delete(value);
    return true;
  }

  at(i: number): T {
    return this.items[i]!;
  }

  random(rng: Rng): T | undefined {
    return this.items.length === 0 ? undefined : this.items[Math.floor(rng.float() * this.items.length)];
  }

  values(): readonly T[] {
    return this.items;
  }
}

/** What a Registry needs of an entity. */
interface Entity<S extends string> {
  id: string;
  status: S;
  /** position in its status bucket; owned by the Registry (cheaper than a Map per bucket) */
  slot: number;
}

/** Live entities of one kind, bucketed by state-machine status so "a random paused promotion" is O(1). */
class Registry<S extends string, T extends Entity<S>> {
  private readonly buckets = {} as Record<S, T[]>;
  private readonly byId = new Map<string, T>();
  private readonly statuses: readonly S[];

  constructor(statuses: readonly S[]) {
    this.statuses = statuses;
    for (const s of statuses) this.buckets[s] = [];
  }

  get size(): number {
    return this.byId.size;
  }

  get(id: string): T | undefined {
    return this.byId.get(id);
  }

  add(entity: T): void {
    this.byId.set(entity.id, entity);
    this.attach(entity);
  }

  remove(entity: T): void {
    this.byId.delete(entity.id);
    this.detach(entity);
  }

  move(entity: T, to: S): void {
    this.detach(entity);
    entity.status = to;
    this.attach(entity);
  }

  count(...statuses: S[]): number {
    if (statuses.length === 0) return this.byId.size;
    let n = 0;
    for (const s of statuses) n += this.buckets[s].length;
    return n;
  }

  /** A uniformly random entity among those in `statuses` (all statuses when none are given). */
  random(rng: Rng, ...statuses: S[]): T | undefined {
    const from = statuses.length > 0 ? statuses : this.statuses;
    let total = 0;
    for (const s of from) total += this.buckets[s].length;
    let r = Math.floor(rng.float() * total);
    for (const s of from) {
      const bucket = this.buckets[s];
      if (r < bucket.length) return bucket[r];
      r -= bucket.length;
    }
    return undefined;
  }

  private attach(entity: T): void {
    const bucket = this.buckets[entity.status];
    entity.slot = bucket.length;
    bucket.push(entity);
  }

  /** Swap-remove: the last entity of the bucket takes the freed slot. */
  private detach(entity: T): void {
    const bucket = this.buckets[entity.status];
    const last = bucket.pop()!;
    if (last !== entity) {
      bucket[entity.slot] = last;
      last.slot = entity.slot;
    }
    entity.slot = -1;
  }
}

// ─── reference data ──────────────────────────────────────────────────────────────────────────

/** [display form, ASCII form for e-mail addresses] */
const FIRST_NAMES: readonly (readonly [string, string])[] = [
  ["Jane", "jane"],
  ["Leo", "leo"],
  ["Zoë", "zoe"],
  ["José", "jose"],
  ["Amara", "amara"],
  ["Søren", "soren"],
  ["Chloé", "chloe"],
  ["Björn", "bjorn"],
  ["Priya", "priya"],
  ["Kenji", "kenji"],
  ["Fatima", "fatima"],
  ["Lucas", "lucas"],
  ["Mia", "mia"],
  ["Noah", "noah"],
  ["Olivia", "olivia"],
  ["Mateo", "mateo"],
  ["Aisha", "aisha"],
  ["Ethan", "ethan"],
  ["Sofia", "sofia"],
  ["Liam", "liam"],
  ["Emma", "emma"],
  ["Wei", "wei"],
  ["Ana", "ana"],
  ["Omar", "omar"],
  ["Hannah", "hannah"],
  ["Raj", "raj"],
  ["Yuki", "yuki"],
  ["Ingrid", "ingrid"],
  ["Malik", "malik"],
  ["Grace", "grace"],
  ["Łukasz", "lukasz"],
  ["Nadia", "nadia"],
];
const LAST_NAMES: readonly (readonly [string, string])[] = [
  ["Smith", "smith"],
  ["Park", "park"],
  ["Müller", "mueller"],
  ["García", "garcia"],
  ["Nguyen", "nguyen"],
  ["Kowalski", "kowalski"],
  ["Okafor", "okafor"],
  ["Johansson", "johansson"],
  ["Rossi", "rossi"],
  ["Tanaka", "tanaka"],
  ["Dubois", "dubois"],
  ["Silva", "silva"],
  ["Patel", "patel"],
  ["Kim", "kim"],
  ["O'Brien", "obrien"],
  ["Novák", "novak"],
  ["Schmidt", "schmidt"],
  ["Lee", "lee"],
  ["Brown", "brown"],
  ["Ødegaard", "odegaard"],
  ["Hernández", "hernandez"],
  ["Wilson", "wilson"],
  ["Cohen", "cohen"],
  ["Ivanova", "ivanova"],
  ["Mensah", "mensah"],
  ["Lindqvist", "lindqvist"],
];
const EMAIL_DOMAINS = ["example.com", "example.org", "example.net", "mail.example"] as const;
const BIOS = [
  "Hello world",
  "Runner and reader",
  "Coffee first ☕",
  "Plant parent, weekend hiker",
  "Deal hunter",
  "Sneakers & street food",
  "Mom of two, always shopping",
  "Minimalist in progress",
  "Tech, tea and tacos",
  "Yoga every morning 🧘",
  "Small business fan",
  "Gärtner aus Leidenschaft",
] as const;
const BUSINESS_TYPES = ["influencer", "creator", "reseller", "boutique", "coach"] as const;
const BUSINESS_SUFFIXES = ["Picks", "Finds", "Corner", "Edit", "Studio", "Collective"] as const;

interface Location {
  readonly city: string;
  readonly state: string;
  readonly country: string;
  readonly zipPrefix: string;
  readonly zipDigits: number;
  readonly dial: string;
  readonly taxRate: number;
}
const LOCATIONS: readonly Location[] = [
  { city: "Seattle", state: "WA", country: "US", zipPrefix: "981", zipDigits: 2, dial: "+1", taxRate: 0.1 },
  { city: "Austin", state: "TX", country: "US", zipPrefix: "787", zipDigits: 2, dial: "+1", taxRate: 0.0825 },
  { city: "Springfield", state: "OR", country: "US", zipPrefix: "974", zipDigits: 2, dial: "+1", taxRate: 0 },
  {
    city: "Brooklyn",
    state: "NY",
    country: "US",
    zipPrefix: "112",
    zipDigits: 2,
    dial: "+1",
    taxRate: 0.08875,
  },
  {
    city: "Chicago",
    state: "IL",
    country: "US",
    zipPrefix: "606",
    zipDigits: 2,
    dial: "+1",
    taxRate: 0.1025,
  },
  { city: "Denver", state: "CO", country: "US", zipPrefix: "802", zipDigits: 2, dial: "+1", taxRate: 0.0881 },
  { city: "München", state: "BY", country: "DE", zipPrefix: "80", zipDigits: 3, dial: "+49", taxRate: 0.19 },
  { city: "Berlin", state: "BE", country: "DE", zipPrefix: "10", zipDigits: 3, dial: "+49", taxRate: 0.19 },
  {
    city: "São Paulo",
    state: "SP",
    country: "BR",
    zipPrefix: "01310-",
    zipDigits: 3,
    dial: "+55",
    taxRate: 0.17,
  },
  { city: "Kraków", state: "MA", country: "PL", zipPrefix: "30-", zipDigits: 3, dial: "+48", taxRate: 0.23 },
  { city: "Tokyo", state: "13", country: "JP", zipPrefix: "100-", zipDigits: 4, dial: "+81", taxRate: 0.1 },
  { city: "Lyon", state: "ARA", country: "FR", zipPrefix: "6900", zipDigits: 1, dial: "+33", taxRate: 0.2 },
];
const STREETS = [
  "Main St",
  "Evergreen Terrace",
  "Oak Avenue",
  "Market Street",
  "Leopoldstraße",
  "Rua Augusta",
  "Maple Drive",
  "Harbor Way",
  "Rue de la République",
  "Cedar Lane",
  "Ulica Floriańska",
  "Sunset Blvd",
] as const;
const STREET_LINE_2 = ["Suite 200", "Apt 4B", "Unit 12", "Floor 3", "c/o Reception"] as const;
const IPV4_PREFIXES = ["203.0.113.", "198.51.100.", "192.0.2.", "100.64.12.", "172.16.40."] as const;

interface Category {
  readonly name: string;
  readonly industryWord: string;
  readonly subcategories: readonly string[];
  readonly nouns: readonly string[];
  readonly attributeKey: string;
  readonly attributeValues: readonly string[];
  readonly materials: readonly string[];
  readonly colors: readonly string[];
  readonly sizes: readonly string[];
  readonly price: readonly [number, number];
  readonly skuPrefix: string;
}
const CATEGORIES: readonly Category[] = [
  {
    name: "apparel",
    industryWord: "Apparel",
    subcategories: ["t-shirts", "hoodies", "socks", "jackets"],
    nouns: ["Tee", "Hoodie", "Crew Socks", "Rain Jacket", "Polo", "Beanie"],
    attributeKey: "fit",
    attributeValues: ["regular", "slim", "relaxed"],
    materials: ["cotton", "merino", "recycled polyester", "linen"],
    colors: ["red", "blue", "black", "white", "navy", "sand"],
    sizes: ["XS", "S", "M", "L", "XL"],
    price: [1200, 12000],
    skuPrefix: "APP",
  },
  {
    name: "home",
    industryWord: "Home Goods",
    subcategories: ["kitchen", "decor", "bedding"],
    nouns: ["Mug", "Candle", "Throw Blanket", "Café Tumbler", "Planter", "Tea Towel"],
    attributeKey: "care",
    attributeValues: ["dishwasher safe", "hand wash", "machine wash"],
    materials: ["ceramic", "soy wax", "wool", "bamboo"],
    colors: ["white", "black", "sage", "terracotta"],
    sizes: ["Small", "Large", "11 oz", "15 oz"],
    price: [900, 8000],
    skuPrefix: "HOM",
  },
  {
    name: "beauty",
    industryWord: "Botanicals",
    subcategories: ["skincare", "haircare", "bath"],
    nouns: ["Face Serum", "Lip Balm", "Body Lotion", "Hair Oil", "Bath Salts"],
    attributeKey: "skin_type",
    attributeValues: ["all", "dry", "oily", "sensitive"],
    materials: ["aloe", "shea butter", "jojoba", "rosehip"],
    colors: ["clear", "rose", "amber"],
    sizes: ["30 ml", "50 ml", "100 ml"],
    price: [600, 6000],
    skuPrefix: "BEA",
  },
  {
    name: "electronics",
    industryWord: "Electronics",
    subcategories: ["audio", "chargers", "accessories"],
    nouns: ["Wireless Earbuds", "USB-C Charger", "Phone Case", "Power Bank", "Bluetooth Speaker"],
    attributeKey: "warranty",
    attributeValues: ["1 year", "2 years"],
    materials: ["aluminium", "silicone", "abs"],
    colors: ["black", "white", "silver", "blue"],
    sizes: ["Standard", "Pro", "Max"],
    price: [1500, 25000],
    skuPrefix: "ELE",
  },
  {
    name: "sports",
    industryWord: "Outdoor",
    subcategories: ["yoga", "running", "hydration"],
    nouns: ["Yoga Mat", "Water Bottle", "Running Cap", "Trail Pack", "Resistance Band"],
    attributeKey: "level",
    attributeValues: ["beginner", "intermediate", "pro"],
    materials: ["cork", "stainless steel", "nylon", "tpe"],
    colors: ["green", "black", "orange", "purple"],
    sizes: ["S", "M", "L", "750 ml"],
    price: [1000, 15000],
    skuPrefix: "SPO",
  },
];
const PRODUCT_ADJECTIVES = [
  "Classic",
  "Everyday",
  "Organic",
  "Premium",
  "Urban",
  "Cozy",
  "Lightweight",
  "Vintage",
  "Eco",
  "Signature",
  "Naïve",
  "Nordic",
  "Essential",
] as const;
const PRODUCT_DESCRIPTIONS = [
  "Made to last.",
  "Our bestseller, now better.",
  "Small-batch and ethically sourced.",
  "Heavyweight and soft.",
  "Designed in-house, tested by our community.",
  "Fair-trade certified.",
  "Crafted with care — à la main.",
] as const;
const TAGS = [
  "basics",
  "bestseller",
  "new",
  "gift",
  "eco",
  "limited",
  "bundle",
  "sale",
  "vegan",
  "handmade",
] as const;

const BRANDS = [
  "Acme",
  "Bolt",
  "Northwind",
  "Lumière",
  "Kestrel",
  "Bluebird",
  "Tidal",
  "Granite",
  "Cedar & Co",
  "Öko Works",
  "Saffron",
  "Nimbus",
  "Maple",
  "Harbor",
  "Fjäll",
  "Papaya",
] as const;
/** [legal suffix, company_type] */
const COMPANY_FORMS = [
  ["LLC", "llc"],
  ["Inc", "corporation"],
  ["GmbH", "gmbh"],
  ["Ltd", "ltd"],
] as const;
const CONTACT_TITLES = ["COO", "CEO", "Founder", "Head of Sales", "Operations Manager"] as const;

const POST_TEXTS = [
  "New tee day ☀️",
  "Loving my new {p} 😍",
  "Morning run done 🏃‍♀️",
  "Anyone tried the {p}? Worth it?",
  "Unboxing time! 📦",
  "Café vibes ☕ #weekend",
  "Restocked my favourite {p} 🙌",
  "Big fan of this community ❤️",
  "Quick review: the {p} is solid. 4/5 ⭐",
  "Gift ideas under $30? 🎁",
  "Hiking this weekend — Zoë approved 🌲",
  "Früh aufstehen lohnt sich 🌅",
  "Sale alert 🔥 check the {p}",
] as const;
const HIDE_REASONS = ["spam", "harassment", "off_topic", "misinformation"] as const;

const COMMUNITY_NAMES = [
  "Runners",
  "Trail Runners",
  "Home Baristas",
  "Plant Parents",
  "Minimalist Wardrobe",
  "Skincare Nerds",
  "Gadget Hunters",
  "Yoga Mornings",
  "Café Culture",
  "München Makers",
  "Budget Travel",
  "Sneakerheads",
  "Deal Hunters",
  "Book Club",
  "Zero Waste Living",
] as const;
const COMMUNITY_DESCRIPTIONS = [
  "People who run.",
  "Share your finds and reviews.",
  "A friendly place to swap tips.",
  "Daily inspiration 🌿",
  "Honest reviews, no spam.",
] as const;
const SUSPEND_REASONS = ["terms violation", "spam", "inactive moderators"] as const;

const PROMOTION_TITLES = [
  "Spring Sale",
  "Summer Clearance",
  "Back to School",
  "Black Friday",
  "Cyber Week",
  "Flash Friday",
  "Bundle & Save",
  "Winter Warmers",
  "Fête des Mères",
  "Mega Sale",
  "Weekend Deals",
] as const;
const PROMOTION_TYPES = ["campaign", "flash_sale", "bundle"] as const;
const REJECT_REASONS = ["misleading discount", "missing product images", "policy violation"] as const;
const PAUSE_REASONS = ["stock issue", "budget review", "pricing error"] as const;
const PROMO_CANCEL_REASONS = ["budget", "supplier request", "duplicate campaign"] as const;
const ORDER_CANCEL_REASONS = [
  "customer_requested",
  "payment_failed",
  "out_of_stock",
  "address_invalid",
] as const;
const PAYMENT_METHODS = ["card", "card", "card", "paypal", "apple_pay", "klarna"] as const;

const INITIALS = "ABCDEFGHIJKLMNOPRSTW";
const BCRYPT_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Slugs of the (few, recurring) names; normalize() is too slow to run per event. */
const slugCache = new Map<string, string>();

function slugify(text: string): string {
  let slug = slugCache.get(text);
  if (slug === undefined) {
    slug = text
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/ø/g, "o")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "");
    if (slugCache.size < 10_000) slugCache.set(text, slug);
  }
  return slug;
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

// ─── entity state (compact: only what later events need) ────────────────────────────────────

type UserStatus = "pending" | "active" | "locked";
interface User {
  id: string;
  status: UserStatus;
  slot: number;
  /** moderators: referenced as admin/reviewer ids, never deleted or retired */
  staff: boolean;
  role: "consumer" | "leader" | "admin";
  givenName: string;
  familyName: string;
  email: string;
  emailLocal: string;
  additionalEmails: string[];
  phone: string | null;
  displayName: string;
  avatar: string;
  bio: string | null;
  dateOfBirth: string | null;
  passwordHash: string;
  emailVerified: boolean;
  business: { name: string; type: string; location: Location } | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

type SupplierStatus = "pending" | "active";
interface Supplier {
  id: string;
  status: SupplierStatus;
  slot: number;
  verification: "pending" | "under_review" | "verified";
  category: Category;
  slug: string;
  email: string;
  phone: string;
  contactName: string;
  contactTitle: string;
  contactEmail: string;
  contactPhone: string;
  legalName: string;
  dbaName: string;
  companyType: string;
  taxId: string;
  street1: string;
  street2: string | null;
  zip: string;
  location: Location;
  description: string;
  website: string;
  logoUrl: string | null;
  passwordHash: string;
  /** products that exist (not deleted); a supplier is only deleted once this is empty */
  productIds: IndexedSet<string>;
  version: number;
  createdAt: string;
  updatedAt: string;
}

interface Variant {
  key: string;
  variantId: string;
  name: string;
  sku: string;
  color: string;
  size: string;
  priceCents: number;
  stock: number;
}
type ProductStatus = "draft" | "active" | "out_of_stock" | "discontinued";
interface Product {
  id: string;
  status: ProductStatus;
  slot: number;
  supplierId: string;
  category: Category;
  skuBase: string;
  name: string;
  slug: string;
  description: string;
  subcategory: string;
  basePriceCents: number;
  imageUrl: string | null;
  attributes: Record<string, string>;
  tags: string[];
  variants: Variant[];
  views: number;
  purchases: number;
  version: number;
  publishedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

interface Order {
  id: string;
  status: "pending";
  slot: number;
  orderNumber: string;
  customerId: string;
  totalCents: number;
  itemCount: number;
}

type PostStatus = "draft" | "published" | "hidden";
interface Media {
  media_type: "image" | "video";
  url: string;
  width: number;
  height: number;
}
interface Post {
  id: string;
  status: PostStatus;
  slot: number;
  postType: "text" | "image" | "video";
  authorId: string;
  authorName: string;
  authorAvatar: string;
  authorType: "user" | "leader";
  text: string;
  media: Media[];
  taggedProducts: string[];
  communityId: string;
  communityName: string;
  likes: number;
  comments: number;
  shares: number;
  views: number;
  distribution: "none" | "pending" | "approved";
  distributionRequestedAt: string | null;
  version: number;
  publishedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

type PromotionStatus = "draft" | "pending_review" | "approved" | "active" | "paused";
interface Promotion {
  id: string;
  status: PromotionStatus;
  slot: number;
  promotionType: string;
  title: string;
  description: string;
  supplierId: string;
  supplierName: string;
  visibility: "public" | "community";
  communityIds: string[];
  startDate: string;
  endDate: string;
  discountType: "percentage" | "fixed_amount";
  discountValue: number;
  productIds: string[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

type CommunityStatus = "active" | "verified";
interface Community {
  id: string;
  status: CommunityStatus;
  slot: number;
  name: string;
  slug: string;
  description: string;
  ownerId: string;
  ownerName: string;
  visibility: "public" | "private";
  requiresApproval: boolean;
  /** user ids; includes the owner, who never leaves, so member_count never drops below 1 */
  members: IndexedSet<string>;
  createdAt: string;
}

// ─── the world: clock, ids and live state ────────────────────────────────────────────────────

type Data = Record<string, unknown>;
interface Emit {
  entityId: string;
  data: Data;
}

class World {
  readonly rng: Rng;
  /** current instant, µs since epoch (exact in a double until the year 2255) */
  private nowUs: number;
  /** envelope timestamp of the current step */
  private stamp = "";
  private readonly idTag: string;
  private seq = 0;
  private started = false;
  private orderDayNumber = -1;
  private orderDay = "";
  private orderSeq = 0;

  readonly users = new Registry<UserStatus, User>(["pending", "active", "locked"]);
  readonly resetRequested = new IndexedSet<User>();
  /** deleted user ids: they stay counted in communities but can no longer act (leave, author, …) */
  readonly deletedUsers = new Set<string>();
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
    const ms = Date.parse(start);
    if (Number.isNaN(ms)) throw new RangeError(`invalid start timestamp: ${start}`);
    this.rng = new Rng(seed);
    this.nowUs = ms * 1000;
    this.idTag = hex32(this.rng.u32()).slice(0, 6);
  }

  /**
   * Advance the clock by a small random step and choose how this event's timestamp is written.
   * Steps: mostly bursts (ms apart), sometimes seconds, now and then quiet minutes.
   */
  tick(): void {
    const { rng } = this;
    const r = rng.float();
    if (!this.started)
      this.started = true; // the first event happens at `start`
    else if (r < 0.6) this.nowUs += rng.int(0, 2_000_000);
    else if (r < 0.95) this.nowUs += Math.floor(-Math.log(1 - rng.float()) * 20_000_000);
    else this.nowUs += rng.int(60_000_000, 600_000_000);

    const f = rng.float();
    if (f < 0.78) {
      this.stamp = formatTime(this.nowUs, true, 0);
    } else {
      const offset = f < 0.86 ? 0 : rng.pick(OFFSETS);
      const withFraction = offset !== 0 && rng.chance(0.5);
      // Without a fraction the written instant must be exact, or the stream would step backwards.
      if (!withFraction) this.nowUs = Math.ceil(this.nowUs / 1_000_000) * 1_000_000;
      this.stamp = formatTime(this.nowUs, withFraction, offset);
    }
  }

  /** created_at/updated_at style: mostly whole seconds in UTC, like the examples; some µs, some offsets. */
  docTime(): string {
    const f = this.rng.float();
    if (f < 0.65) return formatTime(this.nowUs, false, 0);
    if (f < 0.85) return formatTime(this.nowUs, true, 0);
    return formatTime(this.nowUs, false, this.rng.pick(OFFSETS));
  }

  /** Midnight UTC `days` from today, for promotion schedules. */
  dayStart(days: number): number {
    return (Math.floor(this.nowUs / DAY_US) + days) * DAY_US;
  }

  /** A number never handed out before: feeds ids, e-mails, slugs and SKUs so they are unique. */
  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  /** ObjectId-like: 8 hex creation seconds + 6 hex per-seed tag + 10 hex counter (unique). */
  newId(): string {
    return (
      Math.floor(this.nowUs / 1_000_000)
        .toString(16)
        .padStart(8, "0") +
      this.idTag +
      this.nextSeq().toString(16).padStart(10, "0")
    );
  }

  /** ORD-YYYYMMDD-NNNN, numbered per UTC day. */
  nextOrderNumber(): string {
    const dayNumber = Math.floor(this.nowUs / DAY_US);
    if (dayNumber !== this.orderDayNumber) {
      this.orderDayNumber = dayNumber;
      this.orderDay = formatTime(this.nowUs, false, 0).slice(0, 10).replaceAll("-", "");
      this.orderSeq = 0;
    }
    const day = this.orderDay;
    this.orderSeq += 1;
    return `ORD-${day}-${String(this.orderSeq).padStart(4, "0")}`;
  }

  staffId(): string {
    return this.rng.pick(this.staff).id;
  }

  envelope(eventType: string, emit: Emit): Envelope {
    return {
      event_type: eventType,
      event_id: this.rng.uuid(),
      timestamp: this.stamp,
      entity_id: emit.entityId,
      data: emit.data,
    };
  }

  /** Bump the document version for a change that the next full document will show. */
  touch(entity: { version: number; updatedAt: string }): void {
    entity.version += 1;
    entity.updatedAt = this.docTime();
  }

  passwordHash(): string {
    return `$2b$12$${this.rng.chars(BCRYPT_ALPHABET, 53)}`;
  }

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

  zip(location: Location): string {
    return location.zipPrefix + this.rng.digits(location.zipDigits);
  }

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

// ─── the action table ────────────────────────────────────────────────────────────────────────

interface Action {
  readonly type: string;
  /** relative frequency (≈ percent of the stream when every action is possible) */
  readonly weight: number;
  possible(): boolean;
  /** mutates the state and returns the payload, or null when no suitable entity was found */
  run(): Emit | null;
}

const always = (): boolean => true;

// ── users ──

function newPerson(rng: Rng): { name: string; first: string; last: string; local: string } {
  const [first, firstAscii] = rng.pick(FIRST_NAMES);
  const [last, lastAscii] = rng.pick(LAST_NAMES);
  return { name: `${first} ${last}`, first, last, local: `${firstAscii}.${lastAscii}` };
}

function createUser(w: World, role: User["role"], registered: boolean): User {
  const { rng } = w;
  const person = newPerson(rng);
  const n = w.nextSeq();
  const location = rng.pick(LOCATIONS);
  const leader = role === "leader";
  const createdAt = w.docTime();
  const user: User = {
    id: w.newId(),
    status: registered ? "pending" : "active",
    slot: -1,
    staff: role === "admin",
    role,
    givenName: person.first,
    familyName: person.last,
    email: `${person.local}${n}@${rng.pick(EMAIL_DOMAINS)}`,
    emailLocal: person.local,
    additionalEmails: rng.chance(0.2) ? [`${person.local}.alt${n}@${rng.pick(EMAIL_DOMAINS)}`] : [],
    phone: rng.chance(0.6) ? w.phone(location) : null,
    displayName: person.name,
    avatar: "https://cdn.example.com/avatars/default.jpg",
    bio: rng.chance(0.5) ? rng.pick(BIOS) : null,
    dateOfBirth: rng.chance(0.5)
      ? `${rng.int(1960, 2006)}-${pad2(rng.int(1, 12))}-${pad2(rng.int(1, 28))}`
      : null,
    passwordHash: w.passwordHash(),
    emailVerified: false,
    business: leader
      ? { name: `${person.first}'s ${rng.pick(BUSINESS_SUFFIXES)}`, type: rng.pick(BUSINESS_TYPES), location }
      : null,
    version: 1,
    createdAt,
    updatedAt: createdAt,
  };
  w.users.add(user);
  if (user.staff) w.staff.push(user);
  w.retireOverflow(w.users, LIVE_CAP.users, (u) => {
    if (u.staff) return false;
    w.resetRequested.delete(u);
    return true;
  });
  return user;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function userDoc(u: User): Data {
  return {
    contact_info: { primary_email: u.email, additional_emails: u.additionalEmails.slice(), phone: u.phone },
    profile: { display_name: u.displayName, avatar: u.avatar, bio: u.bio, date_of_birth: u.dateOfBirth },
    password_hash: u.passwordHash,
    role: u.role,
    status: u.status,
    email_verified: u.emailVerified,
    business_info: u.business && {
      business_name: u.business.name,
      business_type: u.business.type,
      address: {
        city: u.business.location.city,
        state: u.business.location.state,
        country: u.business.location.country,
      },
    },
    version: u.version,
    deleted_at: null,
    created_at: u.createdAt,
    updated_at: u.updatedAt,
  };
}

/** A profile edit; now and then the primary e-mail changes, which makes it unverified again. */
function reviseUser(w: World, u: User): void {
  const { rng } = w;
  const r = rng.float();
  if (r < 0.4) u.bio = rng.pick(BIOS);
  else if (r < 0.55)
    u.displayName = rng.chance(0.5)
      ? `${u.givenName} ${rng.chars(INITIALS, 1)}. ${u.familyName}`
      : `${u.givenName} ${u.familyName}`;
  else if (r < 0.7) u.phone = w.phone(rng.pick(LOCATIONS));
  else if (r < 0.85) u.avatar = `https://cdn.example.com/avatars/${u.id}.jpg`;
  else {
    if (u.additionalEmails.length < 3) u.additionalEmails.push(u.email);
    u.email = `${u.emailLocal}${w.nextSeq()}@${rng.pick(EMAIL_DOMAINS)}`;
    u.emailVerified = false;
  }
  w.touch(u);
}

function userActions(w: World): Action[] {
  const { rng, users } = w;
  const full = (u: User): Emit => ({ entityId: u.id, data: userDoc(u) });
  return [
    {
      type: "user.created",
      weight: 1.6,
      possible: always,
      run: () => full(createUser(w, "consumer", false)),
    },
    {
      type: "user.registered",
      weight: 0.8,
      possible: always,
      run: () => full(createUser(w, rng.chance(0.7) ? "leader" : "consumer", true)),
    },
    {
      type: "user.updated",
      weight: 2,
      possible: () => users.size > 0,
      run: () => {
        const u = users.random(rng)!;
        reviseUser(w, u);
        return full(u);
      },
    },
    {
      type: "user.login",
      weight: 7,
      possible: () => users.count("pending", "active") > 0,
      run: () => {
        const u = users.random(rng, "pending", "active")!;
        return { entityId: u.id, data: { email: u.email, role: u.role, ip_address: w.ip() } };
      },
    },
    {
      type: "user.email_verified",
      weight: 1.3,
      possible: () => users.count("pending", "active") > 0,
      run: () => {
        const u = findOne(
          () => users.random(rng, "pending", "active"),
          (c) => !c.emailVerified,
        );
        if (!u) return null;
        u.emailVerified = true;
        if (u.status === "pending") users.move(u, "active");
        w.touch(u);
        return { entityId: u.id, data: { email: u.email, status: u.status } };
      },
    },
    {
      type: "user.account_locked",
      weight: 0.4,
      possible: () => users.count("pending", "active") > 0,
      run: () => {
        const u = users.random(rng, "pending", "active")!;
        users.move(u, "locked");
        w.touch(u);
        const data = {
          email: u.email,
          failed_attempts: rng.int(5, 10),
          lock_duration_minutes: rng.pick([15, 30, 60]),
        };
        return { entityId: u.id, data };
      },
    },
    {
      type: "user.password_reset_requested",
      weight: 0.9,
      possible: () => users.size > w.resetRequested.size,
      run: () => {
        const u = findOne(
          () => users.random(rng),
          (c) => !w.resetRequested.has(c),
        );
        if (!u) return null;
        w.resetRequested.add(u);
        return { entityId: u.id, data: { email: u.email } };
      },
    },
    {
      type: "user.password_reset",
      weight: 0.7,
      possible: () => w.resetRequested.size > 0,
      run: () => {
        const u = w.resetRequested.random(rng)!;
        w.resetRequested.delete(u);
        u.passwordHash = w.passwordHash();
        // A reset is how a locked account gets unlocked.
        if (u.status === "locked") users.move(u, "active");
        w.touch(u);
        return { entityId: u.id, data: {} };
      },
    },
    {
      type: "user.deleted",
      weight: 0.3,
      possible: () => users.size > w.staff.length,
      run: () => {
        const u = findOne(
          () => users.random(rng),
          (c) => !c.staff,
        );
        if (!u) return null;
        users.remove(u);
        w.resetRequested.delete(u);
        w.deletedUsers.add(u.id);
        return { entityId: u.id, data: { user_id: u.id } };
      },
    },
  ];
}

/** Up to `tries` random draws until one satisfies `ok`: cheap when most candidates qualify. */
function findOne<T>(draw: () => T | undefined, ok: (candidate: T) => boolean, tries = 6): T | undefined {
  for (let i = 0; i < tries; i++) {
    const c = draw();
    if (c !== undefined && ok(c)) return c;
  }
  return undefined;
}

// ── suppliers ──

function createSupplier(w: World): Supplier {
  const { rng } = w;
  const category = rng.pick(CATEGORIES);
  const brand = rng.pick(BRANDS);
  const [suffix, companyType] = rng.pick(COMPANY_FORMS);
  const n = w.nextSeq();
  const slug = `${slugify(brand)}-${n.toString(36)}`;
  const location = rng.pick(LOCATIONS);
  const contact = newPerson(rng);
  const createdAt = w.docTime();
  const supplier: Supplier = {
    id: w.newId(),
    status: "pending",
    slot: -1,
    verification: "pending",
    category,
    slug,
    email: `${rng.pick(["ops", "hello", "sales", "info"])}@${slug}.example`,
    phone: w.phone(location),
    contactName: contact.name,
    contactTitle: rng.pick(CONTACT_TITLES),
    contactEmail: `${contact.local}@${slug}.example`,
    contactPhone: w.phone(location),
    legalName: `${brand} ${category.industryWord} ${suffix}`,
    dbaName: brand,
    companyType,
    taxId:
      location.country === "US" ? `${rng.digits(2)}-${rng.digits(7)}` : `${location.country}${rng.digits(9)}`,
    street1: w.street(),
    street2: rng.chance(0.4) ? rng.pick(STREET_LINE_2) : null,
    zip: w.zip(location),
    location,
    description: rng.pick(PRODUCT_DESCRIPTIONS),
    website: `https://${slug}.example`,
    logoUrl: rng.chance(0.5) ? `https://cdn.example.com/logos/${slug}.png` : null,
    passwordHash: w.passwordHash(),
    productIds: new IndexedSet<string>(),
    version: 1,
    createdAt,
    updatedAt: createdAt,
  };
  w.suppliers.add(supplier);
  w.retireOverflow(w.suppliers, LIVE_CAP.suppliers);
  return supplier;
}

function supplierDoc(s: Supplier): Data {
  return {
    contact_info: {
      primary_email: s.email,
      additional_emails: [],
      phone: s.phone,
      contact_person_name: s.contactName,
      contact_person_title: s.contactTitle,
      contact_person_email: s.contactEmail,
      contact_person_phone: s.contactPhone,
    },
    company_info: {
      legal_name: s.legalName,
      dba_name: s.dbaName,
      company_type: s.companyType,
      tax_id: s.taxId,
      tax_id_country: s.location.country,
    },
    business_address: {
      street_address_1: s.street1,
      street_address_2: s.street2,
      city: s.location.city,
      state: s.location.state,
      zip_code: s.zip,
      country: s.location.country,
    },
    business_info: {
      industry_category: s.category.name,
      description: s.description,
      website: s.website,
      logo_url: s.logoUrl,
    },
    password_hash: s.passwordHash,
    status: s.status,
    verification: { status: s.verification, documents: [] },
    version: s.version,
    deleted_at: null,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
  };
}

function supplierActions(w: World): Action[] {
  const { rng, suppliers } = w;
  const full = (s: Supplier): Emit => ({ entityId: s.id, data: supplierDoc(s) });
  const any = () => suppliers.size > 0;
  return [
    { type: "supplier.created", weight: 0.6, possible: always, run: () => full(createSupplier(w)) },
    { type: "supplier.registered", weight: 0.4, possible: always, run: () => full(createSupplier(w)) },
    {
      type: "supplier.updated",
      weight: 1,
      possible: any,
      run: () => {
        const s = suppliers.random(rng)!;
        if (s.verification === "under_review" && rng.chance(0.6)) {
          // Review passed: the update that carries the verdict also activates the account.
          s.verification = "verified";
          if (s.status === "pending") suppliers.move(s, "active");
        } else if (rng.chance(0.5)) {
          s.description = rng.pick(PRODUCT_DESCRIPTIONS);
        } else {
          s.phone = w.phone(s.location);
        }
        w.touch(s);
        return full(s);
      },
    },
    {
      type: "supplier.login",
      weight: 2,
      possible: any,
      run: () => {
        const s = suppliers.random(rng)!;
        return { entityId: s.id, data: { email: s.email, company_name: s.legalName, ip_address: w.ip() } };
      },
    },
    {
      type: "supplier.documents_submitted",
      weight: 0.6,
      possible: () => suppliers.count("pending") > 0,
      run: () => {
        const s = findOne(
          () => suppliers.random(rng, "pending"),
          (c) => c.verification === "pending",
        );
        if (!s) return null;
        s.verification = "under_review";
        w.touch(s);
        const data = {
          company_name: s.legalName,
          document_count: rng.int(1, 5),
          verification_status: s.verification,
        };
        return { entityId: s.id, data };
      },
    },
    {
      type: "supplier.deleted",
      weight: 0.4,
      possible: any,
      run: () => {
        // Only a supplier without products goes away, so no product points at a deleted supplier.
        const s = findOne(
          () => suppliers.random(rng),
          (c) => c.productIds.size === 0,
        );
        if (!s) return null;
        suppliers.remove(s);
        return { entityId: s.id, data: { supplier_id: s.id } };
      },
    },
  ];
}

// ── products ──

function newVariant(w: World, p: Product, color: string, size: string, stock: number): Variant {
  const n = w.nextSeq();
  const sizeKey = slugify(size);
  return {
    key: `${color}-${sizeKey}`,
    variantId: `v-${n.toString(36).padStart(6, "0")}`,
    name: `${capitalize(color)} / ${size}`,
    sku: `${p.skuBase}-${color.slice(0, 3).toUpperCase()}-${sizeKey.toUpperCase()}`,
    color,
    size,
    priceCents: Math.max(100, p.basePriceCents + w.rng.pick([0, 0, 0, 200, 500, -100])),
    stock,
  };
}

/** Add a variant with a color/size combination the product does not have yet (if one is found). */
function addVariant(w: World, p: Product, stock: number): void {
  const { rng } = w;
  for (let i = 0; i < 4; i++) {
    const v = newVariant(w, p, rng.pick(p.category.colors), rng.pick(p.category.sizes), stock);
    if (!p.variants.some((x) => x.key === v.key)) {
      p.variants.push(v);
      return;
    }
  }
}

function createProduct(w: World, supplier: Supplier, status: ProductStatus): Product {
  const { rng } = w;
  const category = supplier.category;
  const name = `${rng.pick(PRODUCT_ADJECTIVES)} ${rng.pick(category.nouns)}`;
  const n = w.nextSeq();
  const [lo, hi] = category.price;
  const createdAt = w.docTime();
  const p: Product = {
    id: w.newId(),
    status,
    slot: -1,
    supplierId: supplier.id,
    category,
    skuBase: `${category.skuPrefix}${n.toString(36).toUpperCase()}`,
    name,
    slug: `${slugify(name)}-${n.toString(36)}`,
    description: rng.pick(PRODUCT_DESCRIPTIONS),
    subcategory: rng.pick(category.subcategories),
    basePriceCents: Math.round(rng.int(lo, hi) / 100) * 100 - rng.pick([0, 1, 1, 5]),
    imageUrl: rng.chance(0.7) ? `https://cdn.example.com/products/${n.toString(36)}.jpg` : null,
    attributes: {
      material: rng.pick(category.materials),
      [category.attributeKey]: rng.pick(category.attributeValues),
    },
    tags: rng.sample(TAGS, rng.int(0, 3)),
    variants: [],
    views: 0,
    purchases: 0,
    version: 1,
    publishedAt: status === "active" ? createdAt : null,
    createdAt,
    updatedAt: createdAt,
  };
  const variantCount = rng.pick([0, 0, 1, 2, 2, 3, 3, 4]);
  for (let i = 0; i < variantCount; i++) addVariant(w, p, rng.int(0, 150));
  w.products.add(p);
  supplier.productIds.add(p.id);
  w.retireOverflow(w.products, LIVE_CAP.products);
  return p;
}

function productDoc(p: Product): Data {
  const variants: Data = {};
  for (const v of p.variants) {
    variants[v.key] = {
      variant_id: v.variantId,
      name: v.name,
      sku: v.sku,
      attributes: { color: v.color, size: v.size },
      price_cents: v.priceCents,
      stock_quantity: v.stock,
    };
  }
  return {
    supplier_id: p.supplierId,
    name: p.name,
    slug: p.slug,
    description: p.description,
    category: p.category.name,
    subcategory: p.subcategory,
    base_price_cents: p.basePriceCents,
    currency: "USD",
    status: p.status,
    attributes: { ...p.attributes },
    tags: p.tags.slice(),
    variants,
    stats: { view_count: p.views, purchase_count: p.purchases },
    version: p.version,
    published_at: p.publishedAt,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
  };
}

/** A catalogue edit: price, variants added or removed, restock, copy. */
function reviseProduct(w: World, p: Product): void {
  const { rng } = w;
  const r = rng.float();
  if (r < 0.3) {
    const factor = 0.85 + rng.float() * 0.3;
    p.basePriceCents = Math.max(100, Math.round((p.basePriceCents * factor) / 10) * 10);
  } else if (r < 0.5 && p.variants.length < 4) {
    addVariant(w, p, p.status === "out_of_stock" ? 0 : rng.int(5, 100));
  } else if (r < 0.6 && p.variants.length > 0) {
    p.variants.splice(rng.int(0, p.variants.length - 1), 1);
  } else if (r < 0.8 && p.status !== "out_of_stock") {
    for (const v of p.variants) v.stock += rng.int(10, 80);
  } else {
    p.description = rng.pick(PRODUCT_DESCRIPTIONS);
    p.tags = rng.sample(TAGS, rng.int(0, 3));
  }
  p.views += rng.int(0, 400);
  w.touch(p);
}

function productActions(w: World): Action[] {
  const { rng, products } = w;
  const full = (p: Product): Emit => ({ entityId: p.id, data: productDoc(p) });
  const brief = (p: Product): Emit => ({ entityId: p.id, data: { name: p.name, supplier_id: p.supplierId } });
  return [
    {
      type: "product.created",
      weight: 5.5,
      possible: () => w.suppliers.size > 0,
      run: () => full(createProduct(w, w.suppliers.random(rng)!, rng.chance(0.25) ? "active" : "draft")),
    },
    {
      type: "product.updated",
      weight: 7.5,
      possible: () => products.size > 0,
      run: () => {
        const p = products.random(rng)!;
        reviseProduct(w, p);
        return full(p);
      },
    },
    {
      type: "product.published",
      weight: 3,
      possible: () => products.count("draft") > 0,
      run: () => {
        const p = products.random(rng, "draft")!;
        products.move(p, "active");
        p.publishedAt = w.docTime();
        w.touch(p);
        const data = {
          name: p.name,
          supplier_id: p.supplierId,
          category: p.category.name,
          base_price_cents: p.basePriceCents,
        };
        return { entityId: p.id, data };
      },
    },
    {
      type: "product.out_of_stock",
      weight: 1.2,
      possible: () => products.count("active") > 0,
      run: () => {
        // Prefer a product that orders have actually sold out.
        const soldOut = findOne(
          () => products.random(rng, "active"),
          (c) => c.variants.length > 0 && c.variants.every((v) => v.stock === 0),
          3,
        );
        const p = soldOut ?? products.random(rng, "active")!;
        products.move(p, "out_of_stock");
        for (const v of p.variants) v.stock = 0;
        w.touch(p);
        return brief(p);
      },
    },
    {
      type: "product.restored",
      weight: 1.2,
      possible: () => products.count("out_of_stock", "discontinued") > 0,
      run: () => {
        const p = products.random(rng, "out_of_stock", "discontinued")!;
        products.move(p, "active");
        for (const v of p.variants) v.stock = rng.int(10, 150);
        w.touch(p);
        return full(p);
      },
    },
    {
      type: "product.discontinued",
      weight: 0.8,
      possible: () => products.count("active", "out_of_stock") > 0,
      run: () => {
        const p = products.random(rng, "active", "out_of_stock")!;
        products.move(p, "discontinued");
        w.touch(p);
        return brief(p);
      },
    },
    {
      type: "product.deleted",
      weight: 0.8,
      possible: () => products.count("draft", "discontinued") > 0,
      run: () => {
        const p = products.random(rng, "draft", "discontinued")!;
        products.remove(p);
        w.suppliers.get(p.supplierId)?.productIds.delete(p.id);
        return brief(p);
      },
    },
  ];
}

// ── orders ──

interface OrderLine {
  product: Product;
  variant: Variant | null;
  quantity: number;
  unitPriceCents: number;
}

/** Take 1–3 units of an in-stock variant (or of a product without variants), or null if sold out. */
function takeLine(rng: Rng, p: Product): OrderLine | null {
  if (p.variants.length === 0) {
    const quantity = rng.pick([1, 1, 1, 2, 3]);
    p.purchases += quantity;
    return { product: p, variant: null, quantity, unitPriceCents: p.basePriceCents };
  }
  const inStock = p.variants.filter((v) => v.stock > 0);
  if (inStock.length === 0) return null;
  const variant = rng.pick(inStock);
  const quantity = Math.min(variant.stock, rng.pick([1, 1, 1, 2, 3]));
  variant.stock -= quantity;
  p.purchases += quantity;
  return { product: p, variant, quantity, unitPriceCents: variant.priceCents };
}

function pickLines(w: World): OrderLine[] {
  const { rng } = w;
  const wanted = rng.pick([1, 1, 1, 2, 2, 3, 4, 5]);
  const lines: OrderLine[] = [];
  const seen: Product[] = [];
  for (let attempt = 0; attempt < wanted * 3 && lines.length < wanted; attempt++) {
    const p = w.products.random(rng, "active");
    if (!p || seen.includes(p)) continue;
    seen.push(p);
    const line = takeLine(rng, p);
    if (line) lines.push(line);
  }
  return lines;
}

function discountFor(w: World, subtotal: number): { cents: number; promotionId: string | null } {
  if (!w.rng.chance(0.3)) return { cents: 0, promotionId: null };
  const promo = w.promotions.random(w.rng, "approved", "active");
  if (!promo) return { cents: 0, promotionId: null };
  const cents =
    promo.discountType === "percentage"
      ? Math.floor((subtotal * promo.discountValue) / 100)
      : Math.min(subtotal, promo.discountValue);
  return { cents, promotionId: promo.id };
}

function createOrder(w: World): Emit | null {
  const { rng } = w;
  const customer = w.users.random(rng, "pending", "active");
  if (!customer) return null;
  const lines = pickLines(w);
  if (lines.length === 0) return null;

  const items = lines.map((l, i) => ({
    item_id: `it-${i + 1}`,
    product_snapshot: {
      product_id: l.product.id,
      supplier_id: l.product.supplierId,
      name: l.product.name,
      image_url: l.product.imageUrl,
    },
    variant_snapshot: l.variant && { variant_key: l.variant.key, name: l.variant.name, sku: l.variant.sku },
    quantity: l.quantity,
    unit_price_cents: l.unitPriceCents,
    total_cents: l.quantity * l.unitPriceCents,
  }));
  const subtotal = items.reduce((sum, it) => sum + it.total_cents, 0);
  const itemCount = lines.reduce((sum, l) => sum + l.quantity, 0);
  const discount = discountFor(w, subtotal);
  const location = rng.pick(LOCATIONS);
  const shipping = subtotal - discount.cents >= 5000 ? 0 : rng.pick([499, 799]);
  const tax = Math.round((subtotal - discount.cents) * location.taxRate);
  const total = subtotal - discount.cents + shipping + tax;

  const order: Order = {
    id: w.newId(),
    status: "pending",
    slot: -1,
    orderNumber: w.nextOrderNumber(),
    customerId: customer.id,
    totalCents: total,
    itemCount,
  };
  w.orders.add(order);
  // Beyond the cap, an old open order is abandoned: it simply stays pending.
  w.retireOverflow(w.orders, LIVE_CAP.orders);

  const createdAt = w.docTime();
  const data = {
    order_number: order.orderNumber,
    customer: {
      user_id: customer.id,
      display_name: customer.displayName,
      email: customer.email,
      phone: customer.phone,
    },
    items,
    totals: {
      subtotal_cents: subtotal,
      discount_cents: discount.cents,
      shipping_cents: shipping,
      tax_cents: tax,
      total_cents: total,
      currency: "USD",
    },
    shipping_address: {
      recipient_name: customer.displayName,
      street_address_1: w.street(),
      street_address_2: rng.chance(0.3) ? rng.pick(STREET_LINE_2) : null,
      city: location.city,
      state: location.state,
      zip_code: w.zip(location),
      country: location.country,
      phone: rng.chance(0.5) ? customer.phone : null,
    },
    payment: { method: rng.pick(PAYMENT_METHODS), status: "authorized" },
    promotion_id: discount.promotionId,
    status: "pending",
    item_count: itemCount,
    version: 1,
    created_at: createdAt,
    updated_at: createdAt,
  };
  return { entityId: order.id, data };
}

function orderActions(w: World): Action[] {
  const { rng, orders } = w;
  const open = () => orders.size > 0;
  return [
    {
      type: "order.created",
      weight: 13.5,
      possible: () => w.products.count("active") > 0,
      run: () => createOrder(w),
    },
    {
      type: "order.completed",
      weight: 9,
      possible: open,
      run: () => {
        const o = orders.random(rng)!;
        orders.remove(o);
        const data = {
          order_number: o.orderNumber,
          customer_id: o.customerId,
          total_cents: o.totalCents,
          currency: "USD",
          item_count: o.itemCount,
          status: rng.chance(0.8) ? "confirmed" : "delivered",
        };
        return { entityId: o.id, data };
      },
    },
    {
      type: "order.cancelled",
      weight: 2.5,
      possible: open,
      run: () => {
        const o = orders.random(rng)!;
        orders.remove(o);
        const data = {
          order_number: o.orderNumber,
          customer_id: o.customerId,
          total_cents: o.totalCents,
          reason: rng.pick(ORDER_CANCEL_REASONS),
        };
        return { entityId: o.id, data };
      },
    },
  ];
}

// ── posts ──

/** Authors post in communities they belong to; fall back to the owner. */
function pickAuthor(w: World, c: Community): User | undefined {
  const member = findOne(
    () => c.members.random(w.rng),
    (id) => w.users.get(id) !== undefined && w.users.get(id)?.status !== "locked",
    3,
  );
  return w.users.get(member ?? c.ownerId);
}

function newMedia(w: World, kind: "image" | "video"): Media {
  const [width, height] = w.rng.pick([
    [1080, 1350],
    [1080, 1080],
    [1920, 1080],
    [720, 1280],
  ] as const);
  const ext = kind === "image" ? "jpg" : "mp4";
  return {
    media_type: kind,
    url: `https://cdn.example.com/p/${w.nextSeq().toString(36)}.${ext}`,
    width,
    height,
  };
}

function createPost(w: World): Emit | null {
  const { rng } = w;
  const community = w.communities.random(rng);
  if (!community) return null;
  const author = pickAuthor(w, community);
  if (!author) return null;
  const tagged = rng.chance(0.4) ? w.products.random(rng, "active") : undefined;
  const postType = rng.pick(["text", "image", "image", "image", "video"] as const);
  const mediaCount = postType === "text" ? 0 : postType === "video" ? 1 : rng.int(1, 4);
  const createdAt = w.docTime();
  const published = rng.chance(0.8);
  const post: Post = {
    id: w.newId(),
    status: published ? "published" : "draft",
    slot: -1,
    postType,
    authorId: author.id,
    authorName: author.displayName,
    authorAvatar: author.avatar,
    authorType: author.role === "leader" ? "leader" : "user",
    text: postText(rng, tagged?.name),
    media: Array.from({ length: mediaCount }, () => newMedia(w, postType === "video" ? "video" : "image")),
    taggedProducts: tagged ? [tagged.id] : [],
    communityId: community.id,
    communityName: community.name,
    likes: rng.int(0, 20),
    comments: rng.int(0, 5),
    shares: rng.int(0, 3),
    views: rng.int(10, 200),
    distribution: "none",
    distributionRequestedAt: null,
    version: 1,
    publishedAt: published ? createdAt : null,
    createdAt,
    updatedAt: createdAt,
  };
  if (published && rng.chance(0.35)) requestDistribution(w, post, createdAt);
  w.posts.add(post);
  w.retireOverflow(w.posts, LIVE_CAP.posts, (p) => {
    w.distributionPending.delete(p);
    return true;
  });
  return { entityId: post.id, data: postDoc(post) };
}

/** A post text; "{p}" names the tagged product, or some product noun when nothing is tagged. */
function postText(rng: Rng, productName: string | undefined): string {
  return rng.pick(POST_TEXTS).replace("{p}", productName ?? rng.pick(rng.pick(CATEGORIES).nouns));
}

function requestDistribution(w: World, post: Post, at: string): void {
  post.distribution = "pending";
  post.distributionRequestedAt = at;
  w.distributionPending.add(post);
}

function postDoc(p: Post): Data {
  const engaged = p.likes + p.comments + p.shares;
  return {
    post_type: p.postType,
    author: {
      user_id: p.authorId,
      display_name: p.authorName,
      avatar: p.authorAvatar,
      author_type: p.authorType,
    },
    text_content: p.text,
    media: p.media.map((m) => ({ ...m })),
    link_preview: null,
    tagged_products: p.taggedProducts.slice(),
    community_id: p.communityId,
    community_name: p.communityName,
    stats: {
      likes_count: p.likes,
      comments_count: p.comments,
      shares_count: p.shares,
      views_count: p.views,
      engagement_rate: Math.round((engaged / p.views) * 10_000) / 10_000,
    },
    status: p.status,
    global_distribution: { status: p.distribution, requested_at: p.distributionRequestedAt },
    version: p.version,
    published_at: p.publishedAt,
    deleted_at: null,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
  };
}

/** Engagement grows between edits; sometimes the text changes or distribution is requested. */
function revisePost(w: World, p: Post): void {
  const { rng } = w;
  p.views += rng.int(5, 500);
  p.likes += rng.int(0, 30);
  p.comments += rng.int(0, 6);
  p.shares += rng.int(0, 3);
  if (rng.chance(0.2)) p.text = postText(rng, undefined);
  w.touch(p);
  if (p.status === "published" && p.distribution === "none" && rng.chance(0.1)) {
    requestDistribution(w, p, p.updatedAt);
  }
}

function postActions(w: World): Action[] {
  const { rng, posts } = w;
  const refs = (p: Post) => ({ author_id: p.authorId, community_id: p.communityId });
  return [
    { type: "post.created", weight: 7, possible: () => w.communities.size > 0, run: () => createPost(w) },
    {
      type: "post.updated",
      weight: 6,
      possible: () => posts.count("draft", "published") > 0,
      run: () => {
        const p = posts.random(rng, "draft", "published")!;
        revisePost(w, p);
        return { entityId: p.id, data: postDoc(p) };
      },
    },
    {
      type: "post.published",
      weight: 1.5,
      possible: () => posts.count("draft") > 0,
      run: () => {
        const p = posts.random(rng, "draft")!;
        posts.move(p, "published");
        w.touch(p);
        p.publishedAt = p.updatedAt;
        return { entityId: p.id, data: postDoc(p) };
      },
    },
    {
      type: "post.hidden",
      weight: 1,
      possible: () => posts.count("published") > 0,
      run: () => {
        const p = posts.random(rng, "published")!;
        posts.move(p, "hidden");
        w.distributionPending.delete(p);
        w.touch(p);
        return {
          entityId: p.id,
          data: { ...refs(p), hidden_by: w.staffId(), reason: rng.pick(HIDE_REASONS) },
        };
      },
    },
    {
      type: "post.global_distribution_approved",
      weight: 2,
      possible: () => w.distributionPending.size > 0,
      run: () => {
        const p = w.distributionPending.random(rng)!;
        w.distributionPending.delete(p);
        p.distribution = "approved";
        w.touch(p);
        return { entityId: p.id, data: { ...refs(p), admin_id: w.staffId() } };
      },
    },
    {
      type: "post.deleted",
      weight: 2.5,
      possible: () => posts.size > 0,
      run: () => {
        const p = posts.random(rng)!;
        posts.remove(p);
        w.distributionPending.delete(p);
        // Mostly the author deletes; moderators clean up the rest (and posts of deleted accounts).
        const byAuthor = w.users.get(p.authorId) !== undefined && rng.chance(0.75);
        return { entityId: p.id, data: { ...refs(p), deleted_by: byAuthor ? p.authorId : w.staffId() } };
      },
    },
  ];
}

// ── promotions ──

function createPromotion(w: World): Emit | null {
  const { rng } = w;
  const supplier =
    findOne(
      () => w.suppliers.random(rng),
      (s) => s.productIds.size > 0,
      4,
    ) ?? w.suppliers.random(rng);
  if (!supplier) return null;
  const startDay = w.dayStart(rng.int(1, 30));
  const community = rng.chance(0.3) ? w.communities.random(rng) : undefined;
  const percentage = rng.chance(0.75);
  const createdAt = w.docTime();
  const promo: Promotion = {
    id: w.newId(),
    status: "draft",
    slot: -1,
    promotionType: rng.pick(PROMOTION_TYPES),
    title: rng.pick(PROMOTION_TITLES),
    description: "",
    supplierId: supplier.id,
    supplierName: supplier.legalName,
    visibility: community ? "community" : "public",
    communityIds: community ? [community.id] : [],
    startDate: formatTime(startDay, false, 0),
    endDate: formatTime(startDay + rng.int(7, 45) * DAY_US - 1_000_000, false, 0),
    discountType: percentage ? "percentage" : "fixed_amount",
    discountValue: percentage ? rng.pick([5, 10, 15, 20, 25, 30, 40]) : rng.pick([300, 500, 1000, 1500]),
    productIds: rng.sample(supplier.productIds.values(), rng.int(1, 3)),
    version: 1,
    createdAt,
    updatedAt: createdAt,
  };
  promo.description = percentage
    ? `${promo.discountValue}% off ${supplier.category.name}`
    : `$${promo.discountValue / 100} off your order`;
  w.promotions.add(promo);
  w.retireOverflow(w.promotions, LIVE_CAP.promotions);
  return {
    entityId: promo.id,
    data: {
      promotion_type: promo.promotionType,
      title: promo.title,
      description: promo.description,
      supplier: { supplier_id: promo.supplierId, company_name: promo.supplierName },
      visibility: { type: promo.visibility, community_ids: promo.communityIds.slice() },
      schedule: { start_date: promo.startDate, end_date: promo.endDate },
      discount: { type: promo.discountType, value: promo.discountValue },
      product_ids: promo.productIds.slice(),
      status: promo.status,
      version: promo.version,
      created_at: promo.createdAt,
      updated_at: promo.updatedAt,
    },
  };
}

/**
 * Promotion lifecycle: draft → submitted (pending_review) → approved | rejected;
 * approved/active ⇄ paused (resumed → active); ended / cancelled / rejected are final.
 */
function promotionActions(w: World): Action[] {
  const { rng, promotions } = w;
  const ref = (p: Promotion) => ({ title: p.title, supplier_id: p.supplierId });
  const scope = (p: Promotion) => (p.visibility === "public" ? "global" : "community");
  /** A transition from one of `from` to `to` (null: final, the promotion leaves the state). */
  const transition = (
    type: string,
    weight: number,
    from: PromotionStatus[],
    to: PromotionStatus | null,
    payload: (p: Promotion) => Data,
  ): Action => ({
    type,
    weight,
    possible: () => promotions.count(...from) > 0,
    run: () => {
      const p = promotions.random(rng, ...from)!;
      const data = payload(p);
      if (to) {
        promotions.move(p, to);
        w.touch(p);
      } else {
        promotions.remove(p);
      }
      return { entityId: p.id, data };
    },
  });
  return [
    {
      type: "promotion.created",
      weight: 1.6,
      possible: () => w.suppliers.size > 0,
      run: () => createPromotion(w),
    },
    transition("promotion.submitted", 1.3, ["draft"], "pending_review", (p) => ({
      ...ref(p),
      promotion_type: p.promotionType,
      status: "pending_review",
    })),
    transition("promotion.approved", 1, ["pending_review"], "approved", (p) => ({
      ...ref(p),
      reviewer_id: w.staffId(),
      scope: scope(p),
      status: "approved",
    })),
    transition("promotion.rejected", 0.35, ["pending_review"], null, (p) => ({
      ...ref(p),
      reviewer_id: w.staffId(),
      scope: scope(p),
      reason: rng.pick(REJECT_REASONS),
      status: "rejected",
    })),
    transition("promotion.paused", 0.9, ["approved", "active"], "paused", (p) => ({
      ...ref(p),
      reason: rng.pick(PAUSE_REASONS),
    })),
    transition("promotion.resumed", 1, ["paused"], "active", ref),
    transition("promotion.ended", 0.6, ["approved", "active", "paused"], null, ref),
    transition(
      "promotion.cancelled",
      0.4,
      ["draft", "pending_review", "approved", "active", "paused"],
      null,
      (p) => ({ ...ref(p), reason: rng.pick(PROMO_CANCEL_REASONS) }),
    ),
  ];
}

// ── communities ──

function createCommunity(w: World): Emit | null {
  const { rng } = w;
  const owner = w.users.random(rng, "pending", "active");
  if (!owner) return null;
  const base = rng.pick(COMMUNITY_NAMES);
  const name = rng.chance(0.4) ? `${base} ${rng.pick(LOCATIONS).city}` : base;
  const c: Community = {
    id: w.newId(),
    status: "active",
    slot: -1,
    name,
    slug: `${slugify(name)}-${w.nextSeq().toString(36)}`,
    description: rng.pick(COMMUNITY_DESCRIPTIONS),
    ownerId: owner.id,
    ownerName: owner.displayName,
    visibility: rng.chance(0.8) ? "public" : "private",
    requiresApproval: rng.chance(0.25),
    members: new IndexedSet<string>(),
    createdAt: w.docTime(),
  };
  c.members.add(owner.id);
  w.communities.add(c);
  w.retireOverflow(w.communities, LIVE_CAP.communities);
  return {
    entityId: c.id,
    data: {
      name: c.name,
      slug: c.slug,
      description: c.description,
      owner: { user_id: c.ownerId, display_name: c.ownerName },
      settings: { visibility: c.visibility, requires_approval: c.requiresApproval },
      stats: { member_count: 1, post_count: 0 },
      status: c.status,
      version: 1,
      created_at: c.createdAt,
      updated_at: c.createdAt,
    },
  };
}

function communityActions(w: World): Action[] {
  const { rng, communities } = w;
  const any = () => communities.size > 0;
  const membership = (c: Community, userId: string): Emit => ({
    entityId: c.id,
    data: { user_id: userId, community_name: c.name, member_count: c.members.size },
  });
  return [
    {
      type: "community.created",
      weight: 0.8,
      possible: () => w.users.size > 0,
      run: () => createCommunity(w),
    },
    {
      type: "community.member_joined",
      weight: 4.2,
      possible: any,
      run: () => {
        const c = communities.random(rng)!;
        const u = findOne(
          () => w.users.random(rng, "pending", "active"),
          (x) => !c.members.has(x.id),
          3,
        );
        if (!u) return null;
        c.members.add(u.id);
        return membership(c, u.id);
      },
    },
    {
      type: "community.member_left",
      weight: 2.2,
      possible: any,
      run: () => {
        const c = findOne(
          () => communities.random(rng),
          (x) => x.members.size > 1,
          4,
        );
        if (!c) return null;
        const leaver = (id: string) => id !== c.ownerId && !w.deletedUsers.has(id);
        const userId = findOne(() => c.members.random(rng), leaver, 4);
        if (!userId) return null;
        c.members.delete(userId);
        return membership(c, userId);
      },
    },
    {
      type: "community.verified",
      weight: 0.5,
      possible: () => communities.count("active") > 0,
      run: () => {
        const c = communities.random(rng, "active")!;
        communities.move(c, "verified");
        return { entityId: c.id, data: { community_name: c.name, admin_id: w.staffId() } };
      },
    },
    {
      type: "community.suspended",
      weight: 0.3,
      possible: any,
      run: () => {
        // Suspension is final here: no more joins or posts.
        const c = communities.random(rng)!;
        communities.remove(c);
        const data = { community_name: c.name, admin_id: w.staffId(), reason: rng.pick(SUSPEND_REASONS) };
        return { entityId: c.id, data };
      },
    },
  ];
}

// ─── the stream ──────────────────────────────────────────────────────────────────────────────

/**
 * A few entities first, so that orders, posts and moderation have something to refer to, and a
 * promotion already under way so its long lifecycle (… → paused → resumed) shows up in short streams.
 */
function bootstrap(w: World, actions: readonly Action[]): { type: string; run: () => Emit | null }[] {
  const { rng } = w;
  const user = (role: User["role"], registered: boolean) => () => {
    const u = createUser(w, role, registered);
    return { entityId: u.id, data: userDoc(u) };
  };
  const supplier = () => {
    const s = createSupplier(w);
    return { entityId: s.id, data: supplierDoc(s) };
  };
  const product = (status: ProductStatus) => () => {
    const p = createProduct(w, w.suppliers.random(rng)!, status);
    return { entityId: p.id, data: productDoc(p) };
  };
  const fromTable = (type: string) => ({ type, run: () => actions.find((a) => a.type === type)!.run() });
  return [
    { type: "user.created", run: user("admin", false) },
    { type: "user.created", run: user("admin", false) },
    { type: "user.created", run: user("consumer", false) },
    { type: "user.registered", run: user("leader", true) },
    { type: "user.created", run: user("consumer", false) },
    { type: "supplier.created", run: supplier },
    { type: "supplier.registered", run: supplier },
    { type: "product.created", run: product("active") },
    { type: "product.created", run: product("draft") },
    { type: "product.created", run: product("active") },
    { type: "community.created", run: () => createCommunity(w) },
    fromTable("promotion.created"),
    fromTable("promotion.submitted"),
    fromTable("promotion.approved"),
    // A supplier without products yet: one that may leave again (supplier.deleted).
    { type: "supplier.registered", run: supplier },
  ];
}

/** Event types the generator emits, in catalog order. */
export const EVENT_TYPES: readonly string[] = buildActions(new World(1, DEFAULT_START)).map((a) => a.type);

function buildActions(w: World): Action[] {
  return [
    ...userActions(w),
    ...supplierActions(w),
    ...productActions(w),
    ...orderActions(w),
    ...postActions(w),
    ...promotionActions(w),
    ...communityActions(w),
  ];
}

/**
 * Chooses the next action: weighted random among the actions that are possible right now.
 *
 * Done by rejection, which has the same distribution as weighing only the possible actions but
 * usually checks one predicate instead of 44: draw from all weights; when the drawn action is not
 * possible (or finds no suitable entity), drop it for this step and draw again.
 */
class Chooser {
  private readonly weights: Float64Array;
  private readonly fullTotal: number;

  constructor(
    private readonly actions: readonly Action[],
    private readonly rng: Rng,
  ) {
    this.weights = Float64Array.from(actions, (a) => a.weight);
    this.fullTotal = this.weights.reduce((sum, x) => sum + x, 0);
  }

  next(): { type: string; emit: Emit } {
    const { actions, weights } = this;
    let total = this.fullTotal;
    let dropped = false;
    try {
      while (total > 1e-9) {
        const i = this.draw(total);
        const action = actions[i]!;
        const emit = action.possible() ? action.run() : null;
        if (emit) return { type: action.type, emit };
        total -= weights[i]!;
        weights[i] = 0;
        dropped = true;
      }
    } finally {
      if (dropped) for (let i = 0; i < actions.length; i++) weights[i] = actions[i]!.weight;
    }
    throw new Error("no possible action (user.created should always be possible)");
  }

  private draw(total: number): number {
    let r = this.rng.float() * total;
    let chosen = -1;
    for (let i = 0; i < this.weights.length; i++) {
      const weight = this.weights[i]!;
      if (weight === 0) continue;
      chosen = i; // the last remaining action also absorbs floating-point leftovers
      if (r < weight) break;
      r -= weight;
    }
    return chosen;
  }
}

/**
 * Yields exactly `count` envelopes. Deterministic: the same (count, seed, start) gives the same
 * stream, and a prefix of a longer stream equals the shorter stream.
 */
export function* generateEvents(opts: GenerateOptions): Generator<Envelope> {
  if (Number.isNaN(opts.count) || opts.count < 0)
    throw new RangeError(`count must be >= 0, got ${opts.count}`);
  const count = Math.floor(opts.count); // Infinity: an endless stream (e.g. piped into head)
  const w = new World(opts.seed ?? 1, opts.start ?? DEFAULT_START);
  const actions = buildActions(w);
  const chooser = new Chooser(actions, w.rng);
  let produced = 0;
  for (const { type, run } of bootstrap(w, actions)) {
    if (produced >= count) return;
    w.tick();
    const emit = run();
    if (!emit) throw new Error(`bootstrap step ${type} failed`);
    yield w.envelope(type, emit);
    produced++;
  }
  while (produced < count) {
    w.tick();
    const { type, emit } = chooser.next();
    yield w.envelope(type, emit);
    produced++;
  }
}
