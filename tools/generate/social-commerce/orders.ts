/**
 * Orders: lines of active products (taking their stock), an optional promotion discount, shipping and
 * tax. An order is open (pending) until it is completed or cancelled.
 */

import type { Action, Emit } from "./action.js";
import { LIVE_CAP } from "./live-cap.js";
import { LOCATIONS, STREET_LINE_2 } from "./locations.js";
import type { Product, Variant } from "./products.js";
import type { Rng } from "./rng.js";
import type { World } from "./world.js";

const ORDER_CANCEL_REASONS = [
  "customer_requested",
  "payment_failed",
  "out_of_stock",
  "address_invalid",
] as const;
const PAYMENT_METHODS = ["card", "card", "card", "paypal", "apple_pay", "klarna"] as const;

/** An open order: what order.completed/cancelled repeat from it. */
export interface Order {
  id: string;
  status: "pending";
  slot: number;
  orderNumber: string;
  customerId: string;
  totalCents: number;
  itemCount: number;
}

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

/** The order.* rows of the action table. */
export function orderActions(w: World): Action[] {
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
