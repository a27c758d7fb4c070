/**
 * The demo catalog loaded into an empty `products` collection (SEED=false
 * skips it): enough variety to try every filter, sort and page of the
 * storefront. A few items are sold out or nearly so on purpose.
 */
import type { ProductDoc } from "./product-model";

/** [sku, name, price in cents, stock, weight in grams, description] */
type Row = [string, string, number, number, number, string];

const CATALOG: Record<string, Row[]> = {
  electronics: [
    ["EL-1001", "Aurora Wireless Headphones", 12999, 42, 280, "Over-ear Bluetooth 5.3 headphones with active noise cancelling and 40 hours of battery life."],
    ["EL-1002", "Pulse Mini Bluetooth Speaker", 3999, 120, 310, "Palm-sized waterproof speaker (IP67) with a punchy passive radiator and 12-hour playtime."],
    ["EL-1003", "Voltra 20W USB-C Charger", 1999, 300, 60, "Compact GaN wall charger that fast-charges phones and tablets over USB Power Delivery."],
    ["EL-1004", "Lumen 4K Webcam", 8999, 3, 160, "Ultra HD webcam with autofocus, dual microphones and a privacy shutter for calls and streaming."],
    ["EL-1005", "Keystone Mechanical Keyboard", 10999, 25, 950, "Tenkeyless keyboard with hot-swappable tactile switches, PBT keycaps and white backlight."],
    ["EL-1006", "Glide Ergonomic Mouse", 4999, 60, 110, "Vertical wireless mouse that keeps the wrist in a handshake position; three-device switching."],
    ["EL-1007", "Orbit Smart Plug (2-pack)", 2499, 0, 180, "Wi-Fi plugs with energy monitoring and schedules; works with the major voice assistants."],
  ],
  kitchen: [
    ["KI-2001", "Cast Iron Skillet 26 cm", 3499, 48, 2600, "Pre-seasoned cast iron pan that goes from hob to oven; even heat for searing and baking."],
    ["KI-2002", "Barista Pour-Over Kettle", 4599, 33, 900, "Gooseneck kettle with a built-in thermometer for precise pour-over coffee."],
    ["KI-2003", "Chef's Knife 20 cm", 6999, 27, 240, "Forged high-carbon stainless steel blade, full tang, with a comfortable pakkawood handle."],
    ["KI-2004", "Bamboo Cutting Board Set", 2999, 75, 1500, "Three end-grain bamboo boards with juice grooves, gentle on knife edges."],
    ["KI-2005", "French Press 1 L", 2799, 4, 800, "Double-wall stainless steel press that keeps coffee hot; four-level filtration."],
    ["KI-2006", "Silicone Baking Mats (2-pack)", 1599, 140, 300, "Non-stick, reusable mats that replace parchment paper; oven safe to 250 °C."],
    ["KI-2007", "Stand Mixer 5 L", 24999, 9, 9800, "Tilt-head mixer with ten speeds, dough hook, whisk and flat beater for serious baking."],
  ],
  books: [
    ["BO-3001", "The Quiet Orchard", 1899, 64, 450, "A literary novel about three generations keeping a family apple farm alive through change."],
    ["BO-3002", "Practical Distributed Systems", 4599, 22, 900, "A hands-on guide to building services that survive partitions, retries and partial failure."],
    ["BO-3003", "Weeknight Vegetarian", 2499, 38, 1100, "Ninety fast, seasonal recipes that put dinner on the table in under thirty minutes."],
    ["BO-3004", "Atlas of Remote Islands", 2999, 12, 1300, "Illustrated stories of fifty islands most people will never visit, with hand-drawn maps."],
    ["BO-3005", "The Midnight Cipher", 1499, 90, 380, "A fast-paced thriller: a cryptographer finds a message hidden in a century-old newspaper."],
    ["BO-3006", "Learning TypeScript (2nd Edition)", 3999, 2, 750, "From types and generics to strict compiler settings, with exercises at the end of each chapter."],
    ["BO-3007", "Small Gardens, Big Harvests", 2199, 45, 820, "Grow vegetables on balconies and tiny plots with raised beds, vertical trellises and succession sowing."],
  ],
  outdoors: [
    ["OU-4001", "Trailhead 28 L Daypack", 7999, 31, 850, "Ventilated back panel, hydration sleeve and rain cover; made from recycled ripstop nylon."],
    ["OU-4002", "Summit Trekking Poles (pair)", 5999, 18, 520, "Carbon fibre poles with flick locks and cork grips; fold down to 38 cm."],
    ["OU-4003", "Ember Camping Stove", 4499, 26, 420, "Compact canister stove that boils a litre of water in about four minutes."],
    ["OU-4004", "Nightfall Sleeping Bag -5 °C", 11999, 7, 1450, "Mummy bag with synthetic insulation, draught collar and a compression sack."],
    ["OU-4005", "Lightline 2-Person Tent", 22999, 5, 2100, "Freestanding three-season tent with two doors and vestibules; pitches in five minutes."],
    ["OU-4006", "Steel Insulated Bottle 750 ml", 2499, 210, 390, "Keeps drinks cold for 24 hours or hot for 12; leak-proof lid with carry loop."],
    ["OU-4007", "Headlamp 400 Lumen", 2999, 0, 90, "Rechargeable headlamp with red night mode, lock-out switch and a tilting beam."],
  ],
  clothing: [
    ["CL-5001", "Merino Crew Neck Sweater", 8999, 40, 350, "Fine-gauge merino wool that regulates temperature and resists odour; machine washable."],
    ["CL-5002", "Everyday Chino Trousers", 5499, 55, 480, "Slim-fit stretch cotton chinos with a hidden coin pocket; available in five colours."],
    ["CL-5003", "Packable Rain Jacket", 9999, 23, 300, "Waterproof, breathable shell that stuffs into its own pocket; taped seams and adjustable hood."],
    ["CL-5004", "Organic Cotton T-Shirt (3-pack)", 3499, 160, 540, "Heavyweight organic cotton tees with a relaxed fit in white, grey and black."],
    ["CL-5005", "Wool Hiking Socks (2 pairs)", 2199, 95, 160, "Cushioned merino blend socks with arch support and a seamless toe."],
    ["CL-5006", "Leather Everyday Belt", 3999, 3, 200, "Full-grain vegetable-tanned leather belt with a solid brass buckle."],
    ["CL-5007", "Down Puffer Vest", 11999, 14, 330, "Lightweight 700-fill responsibly sourced down vest for layering on cold mornings."],
  ],
  toys: [
    ["TO-6001", "Wooden Building Blocks (100 pcs)", 3999, 50, 2300, "Smooth beech-wood blocks in twelve shapes, finished with water-based, child-safe paint."],
    ["TO-6002", "Galaxy Explorer Puzzle 1000 pcs", 1999, 70, 700, "A vivid nebula jigsaw with precision-cut pieces and a poster for reference."],
    ["TO-6003", "Remote Control Stunt Car", 4999, 21, 850, "Four-wheel-drive stunt car that flips, spins and drives on both sides; rechargeable battery."],
    ["TO-6004", "Junior Science Lab Kit", 3499, 16, 1200, "Thirty safe experiments with crystals, volcanoes and slime, with an illustrated guide."],
    ["TO-6005", "Plush Sleepy Fox", 2299, 85, 250, "Super-soft plush fox with embroidered eyes; surface washable and safe from birth."],
    ["TO-6006", "Strategy Board Game: Harbour Lords", 4499, 1, 1600, "Trade, build and bluff your way to control of the harbour; 2-5 players, 60 minutes."],
    ["TO-6007", "Magnetic Drawing Board", 1599, 110, 450, "Mess-free drawing board with a pen and stamps; erases with one slide."],
  ],
  beauty: [
    ["BE-7001", "Daily Mineral Sunscreen SPF 50", 1899, 130, 120, "Lightweight zinc oxide sunscreen with no white cast; fragrance free and reef friendly."],
    ["BE-7002", "Hydrating Hyaluronic Serum", 2499, 65, 90, "Plumping serum with three weights of hyaluronic acid and panthenol for dry skin."],
    ["BE-7003", "Bamboo Hair Brush", 1299, 80, 110, "Paddle brush with bamboo pins that detangle gently and reduce static."],
    ["BE-7004", "Shea Butter Hand Cream", 999, 200, 80, "Rich, non-greasy hand cream with 20% shea butter and a light citrus scent."],
    ["BE-7005", "Sonic Electric Toothbrush", 5999, 8, 260, "Two cleaning modes, a two-minute timer and a travel case; charges over USB-C."],
    ["BE-7006", "Clay Detox Face Mask", 1699, 4, 150, "Kaolin and bentonite clay mask that clears pores without stripping the skin."],
    ["BE-7007", "Argan Oil Shampoo 500 ml", 1499, 95, 560, "Sulphate-free shampoo with cold-pressed argan oil for soft, shiny hair."],
  ],
  office: [
    ["OF-8001", "Dot Grid Notebook A5", 1499, 250, 320, "192 numbered pages of 100 g/m² paper that takes fountain pen ink without bleeding."],
    ["OF-8002", "Adjustable Laptop Stand", 3999, 44, 1100, "Aluminium stand with six height settings that lifts the screen to eye level."],
    ["OF-8003", "Gel Pen Set (12 colours)", 1199, 180, 140, "Quick-drying 0.5 mm gel pens with smooth ink flow and comfortable grips."],
    ["OF-8004", "Desk Organizer Tray", 2499, 36, 700, "Walnut desk tray with compartments for pens, cables and a phone."],
    ["OF-8005", "LED Desk Lamp", 4999, 19, 1300, "Dimmable lamp with five colour temperatures, a USB charging port and a timer."],
    ["OF-8006", "Whiteboard 90 x 60 cm", 5999, 6, 5400, "Magnetic dry-erase board with an aluminium frame, marker tray and wall fixings."],
    ["OF-8007", "Ergonomic Seat Cushion", 3499, 2, 900, "Memory foam cushion that relieves pressure on the lower back during long days at the desk."],
  ],
};

/** One hour between items, newest first in catalog order, so "-createdAt" has a stable meaning. */
export function demoCatalog(now: Date = new Date()): Omit<ProductDoc, "_id" | "id">[] {
  const rows = Object.entries(CATALOG).flatMap(([category, items]) => items.map((row) => ({ category, row })));
  return rows.map(({ category, row: [sku, name, price, stock, weightGrams, description] }, i) => {
    const createdAt = new Date(now.getTime() - i * 3_600_000);
    return {
      sku,
      name,
      description,
      category,
      price,
      currency: "USD",
      stock,
      reserved: 0,
      images: [`https://images.example.com/products/${sku.toLowerCase()}.jpg`],
      weightGrams,
      archived: false,
      createdAt,
      updatedAt: createdAt,
    };
  });
}
