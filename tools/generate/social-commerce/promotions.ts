/**
 * Promotions: a supplier's discount on some of its products, public or for one community, scheduled
 * from a future midnight. Approved and active promotions discount orders.
 */

import type { Action, Data, Emit } from "./action.js";
import { findOne } from "./find-one.js";
import { DAY_US, formatTime } from "./format-time.js";
import { LIVE_CAP } from "./live-cap.js";
import type { World } from "./world.js";

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

/** A promotion's lifecycle status (rejected, ended and cancelled are final: the promotion leaves the state). */
export type PromotionStatus = "draft" | "pending_review" | "approved" | "active" | "paused";

/** A live promotion, kept compact: only what later events need. */
export interface Promotion {
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
 * The promotion.* rows of the action table.
 */
export function promotionActions(w: World): Action[] {
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
