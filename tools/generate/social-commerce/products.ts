/**
 * Products, with color/size variants and their stock (orders take stock; out_of_stock zeroes it).
 * States: draft → active ⇄ out_of_stock; active/out_of_stock → discontinued → active (restored);
 * only drafts and discontinued products are deleted.
 */

import type { Action, Data, Emit } from "./action.js";
import { type Category, PRODUCT_DESCRIPTIONS } from "./categories.js";
import { findOne } from "./find-one.js";
import { LIVE_CAP } from "./live-cap.js";
import { slugify } from "./slugify.js";
import type { Supplier } from "./suppliers.js";
import type { World } from "./world.js";

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

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** One sellable color/size combination of a product. */
export interface Variant {
  key: string;
  variantId: string;
  name: string;
  sku: string;
  color: string;
  size: string;
  priceCents: number;
  stock: number;
}

/** A product's lifecycle status. */
export type ProductStatus = "draft" | "active" | "out_of_stock" | "discontinued";

/** A live product, kept compact: only what later events need. */
export interface Product {
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

/** A new product of `supplier` in its category; adds it to the world and to the supplier. */
export function createProduct(w: World, supplier: Supplier, status: ProductStatus): Product {
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

/** The full product document, as in product.created/updated. */
export function productDoc(p: Product): Data {
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

/** The product.* rows of the action table. */
export function productActions(w: World): Action[] {
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
