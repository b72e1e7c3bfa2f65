/**
 * Suppliers: the companies behind the catalogue. States: pending → (documents under review) → active;
 * a supplier is only deleted once it has no products left.
 */

import { type Action, always, type Data, type Emit } from "./action.js";
import { CATEGORIES, type Category, PRODUCT_DESCRIPTIONS } from "./categories.js";
import { findOne } from "./find-one.js";
import { IndexedSet } from "./indexed-set.js";
import { LIVE_CAP } from "./live-cap.js";
import { LOCATIONS, type Location, STREET_LINE_2 } from "./locations.js";
import { newPerson } from "./person.js";
import { slugify } from "./slugify.js";
import type { World } from "./world.js";

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

/** A supplier's account status (verification is tracked separately). */
export type SupplierStatus = "pending" | "active";

/** A live supplier, kept compact: only what later events need. */
export interface Supplier {
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

/** A new supplier (pending, unverified); adds it to the world. */
export function createSupplier(w: World): Supplier {
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

/** The full supplier document, as in supplier.created/updated. */
export function supplierDoc(s: Supplier): Data {
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

/** The supplier.* rows of the action table. */
export function supplierActions(w: World): Action[] {
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
