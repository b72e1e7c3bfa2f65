import type { Action, Emit } from "./action.js";
import { createCommunity } from "./communities.js";
import { createProduct, type ProductStatus, productDoc } from "./products.js";
import { createSupplier, supplierDoc } from "./suppliers.js";
import { createUser, type User, userDoc } from "./users.js";
import type { World } from "./world.js";

/**
 * A few entities first, so that orders, posts and moderation have something to refer to, and a
 * promotion already under way so its long lifecycle (… → paused → resumed) shows up in short streams.
 */
export function bootstrap(w: World, actions: readonly Action[]): { type: string; run: () => Emit | null }[] {
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
