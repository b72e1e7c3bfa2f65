/**
 * The weighted action table: every entity's rows, in catalog order. The order matters: it is the order
 * the Chooser walks the weights in, so reordering rows changes the stream.
 */

import type { Action } from "./action.js";
import { DEFAULT_START } from "./clock.js";
import { communityActions } from "./communities.js";
import { orderActions } from "./orders.js";
import { postActions } from "./posts.js";
import { productActions } from "./products.js";
import { promotionActions } from "./promotions.js";
import { supplierActions } from "./suppliers.js";
import { userActions } from "./users.js";
import { World } from "./world.js";

/** Event types the generator emits, in catalog order. */
export const EVENT_TYPES: readonly string[] = buildActions(new World(1, DEFAULT_START)).map((a) => a.type);

/** The table for `w`: 44 rows, one per event type. */
export function buildActions(w: World): Action[] {
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
