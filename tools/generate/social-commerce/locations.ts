/**
 * Places shared by user businesses, supplier addresses and order shipping: each location carries what
 * makes its addresses and phone numbers plausible (zip format, dialling code) and its sales tax rate.
 */

/** A city with its address conventions. */
export interface Location {
  readonly city: string;
  readonly state: string;
  readonly country: string;
  readonly zipPrefix: string;
  readonly zipDigits: number;
  readonly dial: string;
  readonly taxRate: number;
}
/** Cities in the US, Europe, Brazil and Japan, so addresses, zips and phones vary in shape. */
export const LOCATIONS: readonly Location[] = [
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

/** Street names; a house number is put in front. */
export const STREETS = [
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

/** Second address lines, used now and then. */
export const STREET_LINE_2 = ["Suite 200", "Apt 4B", "Unit 12", "Floor 3", "c/o Reception"] as const;
