/** Slugs of the (few, recurring) names; normalize() is too slow to run per event. */
const slugCache = new Map<string, string>();

/** URL slug of `text`: accents stripped, lowercase, runs of other characters as single dashes. */
export function slugify(text: string): string {
  let slug = slugCache.get(text);
  if (slug === undefined) {
    slug = text
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/ø/g, "o")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "");
    if (slugCache.size < 10_000) slugCache.set(text, slug);
  }
  return slug;
}
