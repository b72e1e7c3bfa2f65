/**
 * The product catalogue's categories. A supplier belongs to one category and its products inherit
 * names, attributes, variant colors/sizes and price range from it.
 */

/** A product category and everything products of that category are made of. */
export interface Category {
  readonly name: string;
  readonly industryWord: string;
  readonly subcategories: readonly string[];
  readonly nouns: readonly string[];
  readonly attributeKey: string;
  readonly attributeValues: readonly string[];
  readonly materials: readonly string[];
  readonly colors: readonly string[];
  readonly sizes: readonly string[];
  readonly price: readonly [number, number];
  readonly skuPrefix: string;
}
/** The five categories; their order is part of the stream (picked by index). */
export const CATEGORIES: readonly Category[] = [
  {
    name: "apparel",
    industryWord: "Apparel",
    subcategories: ["t-shirts", "hoodies", "socks", "jackets"],
    nouns: ["Tee", "Hoodie", "Crew Socks", "Rain Jacket", "Polo", "Beanie"],
    attributeKey: "fit",
    attributeValues: ["regular", "slim", "relaxed"],
    materials: ["cotton", "merino", "recycled polyester", "linen"],
    colors: ["red", "blue", "black", "white", "navy", "sand"],
    sizes: ["XS", "S", "M", "L", "XL"],
    price: [1200, 12000],
    skuPrefix: "APP",
  },
  {
    name: "home",
    industryWord: "Home Goods",
    subcategories: ["kitchen", "decor", "bedding"],
    nouns: ["Mug", "Candle", "Throw Blanket", "Café Tumbler", "Planter", "Tea Towel"],
    attributeKey: "care",
    attributeValues: ["dishwasher safe", "hand wash", "machine wash"],
    materials: ["ceramic", "soy wax", "wool", "bamboo"],
    colors: ["white", "black", "sage", "terracotta"],
    sizes: ["Small", "Large", "11 oz", "15 oz"],
    price: [900, 8000],
    skuPrefix: "HOM",
  },
  {
    name: "beauty",
    industryWord: "Botanicals",
    subcategories: ["skincare", "haircare", "bath"],
    nouns: ["Face Serum", "Lip Balm", "Body Lotion", "Hair Oil", "Bath Salts"],
    attributeKey: "skin_type",
    attributeValues: ["all", "dry", "oily", "sensitive"],
    materials: ["aloe", "shea butter", "jojoba", "rosehip"],
    colors: ["clear", "rose", "amber"],
    sizes: ["30 ml", "50 ml", "100 ml"],
    price: [600, 6000],
    skuPrefix: "BEA",
  },
  {
    name: "electronics",
    industryWord: "Electronics",
    subcategories: ["audio", "chargers", "accessories"],
    nouns: ["Wireless Earbuds", "USB-C Charger", "Phone Case", "Power Bank", "Bluetooth Speaker"],
    attributeKey: "warranty",
    attributeValues: ["1 year", "2 years"],
    materials: ["aluminium", "silicone", "abs"],
    colors: ["black", "white", "silver", "blue"],
    sizes: ["Standard", "Pro", "Max"],
    price: [1500, 25000],
    skuPrefix: "ELE",
  },
  {
    name: "sports",
    industryWord: "Outdoor",
    subcategories: ["yoga", "running", "hydration"],
    nouns: ["Yoga Mat", "Water Bottle", "Running Cap", "Trail Pack", "Resistance Band"],
    attributeKey: "level",
    attributeValues: ["beginner", "intermediate", "pro"],
    materials: ["cork", "stainless steel", "nylon", "tpe"],
    colors: ["green", "black", "orange", "purple"],
    sizes: ["S", "M", "L", "750 ml"],
    price: [1000, 15000],
    skuPrefix: "SPO",
  },
];

/** Catalogue copy, shared by products and supplier descriptions. */
export const PRODUCT_DESCRIPTIONS = [
  "Made to last.",
  "Our bestseller, now better.",
  "Small-batch and ethically sourced.",
  "Heavyweight and soft.",
  "Designed in-house, tested by our community.",
  "Fair-trade certified.",
  "Crafted with care — à la main.",
] as const;
