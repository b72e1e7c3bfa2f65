/**
 * Communities: groups owned by a user, joined and left by others; posts happen inside them.
 * States: active → verified; suspended is final.
 */

import type { Action, Emit } from "./action.js";
import { findOne } from "./find-one.js";
import { IndexedSet } from "./indexed-set.js";
import { LIVE_CAP } from "./live-cap.js";
import { LOCATIONS } from "./locations.js";
import { slugify } from "./slugify.js";
import type { World } from "./world.js";

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

/** A community's status. */
export type CommunityStatus = "active" | "verified";

/** A live community, kept compact: only what later events need. */
export interface Community {
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

/** A new community owned by a random user (with the owner as its first member); adds it to the world. */
export function createCommunity(w: World): Emit | null {
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

/** The community.* rows of the action table. */
export function communityActions(w: World): Action[] {
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
