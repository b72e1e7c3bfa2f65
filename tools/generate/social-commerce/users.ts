/**
 * Users: consumers, leaders (users with a business who sell to their followers) and admins (the
 * moderators referenced as admin/reviewer ids elsewhere). States: pending → active (e-mail verified);
 * pending/active → locked → active (password reset); deleted is final.
 */

import { type Action, always, type Data, type Emit } from "./action.js";
import { findOne } from "./find-one.js";
import { LIVE_CAP } from "./live-cap.js";
import { LOCATIONS, type Location } from "./locations.js";
import { newPerson } from "./person.js";
import type { World } from "./world.js";

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

/** Middle initials, for display-name edits. */
const INITIALS = "ABCDEFGHIJKLMNOPRSTW";

/** A user's lifecycle status. */
export type UserStatus = "pending" | "active" | "locked";

/** A live user, kept compact: only what later events need. */
export interface User {
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

/** A new user, pending when `registered` (self sign-up) and active otherwise; adds it to the world. */
export function createUser(w: World, role: User["role"], registered: boolean): User {
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

/** The full user document, as in user.created/updated. */
export function userDoc(u: User): Data {
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

/** The user.* rows of the action table. */
export function userActions(w: World): Action[] {
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
