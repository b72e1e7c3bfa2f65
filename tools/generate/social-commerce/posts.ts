/**
 * Posts written by community members, optionally tagging a product, with engagement stats that grow
 * over edits. States: draft → published → hidden; global distribution: none → pending → approved.
 */

import type { Action, Data, Emit } from "./action.js";
import { CATEGORIES } from "./categories.js";
import type { Community } from "./communities.js";
import { findOne } from "./find-one.js";
import { LIVE_CAP } from "./live-cap.js";
import type { Rng } from "./rng.js";
import type { User } from "./users.js";
import type { World } from "./world.js";

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

/** A post's lifecycle status. */
export type PostStatus = "draft" | "published" | "hidden";

/** An image or video attached to a post. */
export interface Media {
  media_type: "image" | "video";
  url: string;
  width: number;
  height: number;
}

/** A live post, kept compact: only what later events need. */
export interface Post {
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

/** The post.* rows of the action table. */
export function postActions(w: World): Action[] {
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
