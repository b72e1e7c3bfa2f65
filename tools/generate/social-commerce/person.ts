/** Names of people (users and supplier contacts): a mix of scripts and accents, like real sign-ups. */
import type { Rng } from "./rng.js";

/** [display form, ASCII form for e-mail addresses] */
const FIRST_NAMES: readonly (readonly [string, string])[] = [
  ["Jane", "jane"],
  ["Leo", "leo"],
  ["Zoë", "zoe"],
  ["José", "jose"],
  ["Amara", "amara"],
  ["Søren", "soren"],
  ["Chloé", "chloe"],
  ["Björn", "bjorn"],
  ["Priya", "priya"],
  ["Kenji", "kenji"],
  ["Fatima", "fatima"],
  ["Lucas", "lucas"],
  ["Mia", "mia"],
  ["Noah", "noah"],
  ["Olivia", "olivia"],
  ["Mateo", "mateo"],
  ["Aisha", "aisha"],
  ["Ethan", "ethan"],
  ["Sofia", "sofia"],
  ["Liam", "liam"],
  ["Emma", "emma"],
  ["Wei", "wei"],
  ["Ana", "ana"],
  ["Omar", "omar"],
  ["Hannah", "hannah"],
  ["Raj", "raj"],
  ["Yuki", "yuki"],
  ["Ingrid", "ingrid"],
  ["Malik", "malik"],
  ["Grace", "grace"],
  ["Łukasz", "lukasz"],
  ["Nadia", "nadia"],
];
const LAST_NAMES: readonly (readonly [string, string])[] = [
  ["Smith", "smith"],
  ["Park", "park"],
  ["Müller", "mueller"],
  ["García", "garcia"],
  ["Nguyen", "nguyen"],
  ["Kowalski", "kowalski"],
  ["Okafor", "okafor"],
  ["Johansson", "johansson"],
  ["Rossi", "rossi"],
  ["Tanaka", "tanaka"],
  ["Dubois", "dubois"],
  ["Silva", "silva"],
  ["Patel", "patel"],
  ["Kim", "kim"],
  ["O'Brien", "obrien"],
  ["Novák", "novak"],
  ["Schmidt", "schmidt"],
  ["Lee", "lee"],
  ["Brown", "brown"],
  ["Ødegaard", "odegaard"],
  ["Hernández", "hernandez"],
  ["Wilson", "wilson"],
  ["Cohen", "cohen"],
  ["Ivanova", "ivanova"],
  ["Mensah", "mensah"],
  ["Lindqvist", "lindqvist"],
];

/** A random person: display name, given and family name, and an ASCII e-mail local part. */
export function newPerson(rng: Rng): { name: string; first: string; last: string; local: string } {
  const [first, firstAscii] = rng.pick(FIRST_NAMES);
  const [last, lastAscii] = rng.pick(LAST_NAMES);
  return { name: `${first} ${last}`, first, last, local: `${firstAscii}.${lastAscii}` };
}
