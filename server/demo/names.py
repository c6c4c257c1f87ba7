"""Word tables for the demo dataset: real US cities, name parts and the product catalogue.

Pure data, no logic beyond small named tuples; `server.demo.dataset` combines these with a
seeded random generator.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "BUSINESS_TYPES",
    "CATALOG",
    "CATEGORIES",
    "CITIES",
    "COMPANY_PLACES",
    "CONTACT_ROLES",
    "FIRST_NAMES",
    "LAST_NAMES",
    "STREET_NAMES",
    "STREET_SUFFIXES",
    "BaseItem",
    "City",
]


class City(NamedTuple):
    name: str
    state: str
    postal_code: str  # a real ZIP code of that city
    latitude: float
    longitude: float
    area_code: str
    weight: int  # relative share of demo customers billed here


# Weights favour the covered territories so every rep has a real book of business, while
# a tail of uncovered places (TX, CO, AZ, IL, NV, FL, inland CA, western MA) lands customers in
# the default territory.
CITIES: tuple[City, ...] = (
    # Washington -> Seattle Metro (state rule)
    City("Seattle", "WA", "98101", 47.6062, -122.3321, "206", 14),
    City("Seattle", "WA", "98109", 47.6249, -122.3470, "206", 6),
    City("Bellevue", "WA", "98004", 47.6101, -122.2015, "425", 6),
    City("Redmond", "WA", "98052", 47.6740, -122.1215, "425", 4),
    City("Kirkland", "WA", "98033", 47.6815, -122.2087, "425", 3),
    City("Tacoma", "WA", "98402", 47.2529, -122.4443, "253", 4),
    City("Everett", "WA", "98201", 47.9790, -122.2021, "425", 3),
    City("Kent", "WA", "98032", 47.3809, -122.2348, "253", 2),
    City("Renton", "WA", "98057", 47.4829, -122.2171, "425", 2),
    City("Olympia", "WA", "98501", 47.0379, -122.9007, "360", 2),
    City("Spokane", "WA", "99201", 47.6588, -117.4260, "509", 2),
    # Oregon -> Portland Metro (state rule)
    City("Portland", "OR", "97205", 45.5152, -122.6784, "503", 7),
    City("Portland", "OR", "97209", 45.5311, -122.6843, "503", 3),
    City("Beaverton", "OR", "97005", 45.4871, -122.8037, "503", 2),
    City("Hillsboro", "OR", "97123", 45.5229, -122.9898, "503", 2),
    City("Gresham", "OR", "97030", 45.4982, -122.4315, "503", 1),
    City("Salem", "OR", "97301", 44.9429, -123.0351, "503", 1),
    City("Eugene", "OR", "97401", 44.0521, -123.0868, "541", 1),
    # California, ZIP 94000-95199 -> Bay Area (postal range rule)
    City("San Francisco", "CA", "94103", 37.7749, -122.4194, "415", 10),
    City("San Francisco", "CA", "94111", 37.7946, -122.3999, "415", 4),
    City("Oakland", "CA", "94612", 37.8044, -122.2712, "510", 5),
    City("Berkeley", "CA", "94704", 37.8715, -122.2730, "510", 3),
    City("San Jose", "CA", "95112", 37.3382, -121.8863, "408", 7),
    City("Santa Clara", "CA", "95050", 37.3541, -121.9552, "408", 3),
    City("Sunnyvale", "CA", "94086", 37.3688, -122.0363, "408", 3),
    City("Palo Alto", "CA", "94301", 37.4419, -122.1430, "650", 3),
    City("San Mateo", "CA", "94401", 37.5630, -122.3255, "650", 2),
    City("Fremont", "CA", "94538", 37.5485, -121.9886, "510", 2),
    City("Hayward", "CA", "94541", 37.6688, -122.0808, "510", 2),
    City("Walnut Creek", "CA", "94596", 37.9101, -122.0652, "925", 2),
    # California, ZIP 90000-93599 -> Southern California (postal range rule)
    City("Los Angeles", "CA", "90012", 34.0522, -118.2437, "213", 5),
    City("Long Beach", "CA", "90802", 33.7701, -118.1937, "562", 2),
    City("Pasadena", "CA", "91101", 34.1478, -118.1445, "626", 2),
    City("Anaheim", "CA", "92805", 33.8366, -117.9143, "714", 2),
    City("Irvine", "CA", "92614", 33.6846, -117.8265, "949", 2),
    City("San Diego", "CA", "92101", 32.7157, -117.1611, "619", 3),
    # California outside both ranges -> default territory
    City("Sacramento", "CA", "95814", 38.5816, -121.4944, "916", 2),
    City("Fresno", "CA", "93721", 36.7378, -119.7871, "559", 1),
    # Massachusetts, ZIP prefixes 021 / 024 / 018 -> Greater Boston (prefix rules)
    City("Boston", "MA", "02108", 42.3601, -71.0589, "617", 10),
    City("Boston", "MA", "02116", 42.3503, -71.0810, "617", 4),
    City("Cambridge", "MA", "02139", 42.3736, -71.1097, "617", 5),
    City("Somerville", "MA", "02143", 42.3876, -71.0995, "617", 3),
    City("Quincy", "MA", "02169", 42.2529, -71.0023, "617", 2),
    City("Brookline", "MA", "02445", 42.3318, -71.1212, "617", 2),
    City("Newton", "MA", "02458", 42.3370, -71.2092, "617", 2),
    City("Waltham", "MA", "02451", 42.3765, -71.2356, "781", 2),
    City("Lowell", "MA", "01852", 42.6334, -71.3162, "978", 2),
    # Worcester 01608 is pinned to Greater Boston by a postal_exact rule; Springfield is not.
    City("Worcester", "MA", "01608", 42.2626, -71.8023, "508", 2),
    City("Springfield", "MA", "01103", 42.1015, -72.5898, "413", 1),
    # New York -> New York Metro (state rule)
    City("New York", "NY", "10001", 40.7506, -73.9972, "212", 4),
    City("Brooklyn", "NY", "11201", 40.6943, -73.9903, "718", 2),
    City("White Plains", "NY", "10601", 41.0340, -73.7629, "914", 1),
    # Georgia -> Atlanta Metro (state rule)
    City("Atlanta", "GA", "30303", 33.7490, -84.3880, "404", 4),
    City("Marietta", "GA", "30060", 33.9526, -84.5499, "770", 2),
    City("Decatur", "GA", "30030", 33.7748, -84.2963, "404", 1),
    City("Savannah", "GA", "31401", 32.0809, -81.0912, "912", 1),
    # Not covered by any rule -> default territory ("UNASSIGNED")
    City("Austin", "TX", "78701", 30.2672, -97.7431, "512", 2),
    City("Dallas", "TX", "75201", 32.7767, -96.7970, "214", 2),
    City("Houston", "TX", "77002", 29.7604, -95.3698, "713", 1),
    City("Denver", "CO", "80202", 39.7392, -104.9903, "303", 2),
    City("Boulder", "CO", "80302", 40.0150, -105.2705, "303", 1),
    City("Phoenix", "AZ", "85004", 33.4484, -112.0740, "602", 1),
    City("Chicago", "IL", "60601", 41.8858, -87.6181, "312", 1),
    City("Reno", "NV", "89501", 39.5296, -119.8138, "775", 1),
    City("Miami", "FL", "33131", 25.7617, -80.1918, "305", 1),
)

STREET_NAMES: tuple[str, ...] = (
    "Pine", "Maple", "Oak", "Cedar", "Elm", "Main", "Market", "Mission", "Harbor", "Lake",
    "Washington", "Jefferson", "Madison", "Franklin", "Lincoln", "Union", "Broadway", "Park",
    "Spring", "Center", "Water", "Mill", "Church", "High", "Hill", "River", "Bay", "Summit",
    "Commerce", "Industrial", "Airport", "Valley", "Ridge", "Sunset", "Highland", "Grant",
    "Front", "Columbia", "Fremont", "Hawthorne",
)  # fmt: skip

STREET_SUFFIXES: tuple[str, ...] = (
    "St", "St", "St", "Ave", "Ave", "Blvd", "Rd", "Way", "Dr", "Pl", "Ln", "Pkwy",
)  # fmt: skip

FIRST_NAMES: tuple[str, ...] = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
    "Sarah", "Carlos", "Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Sandra",
    "Mark", "Ashley", "Kevin", "Emily", "Brian", "Michelle", "Jason", "Amanda", "Wei",
    "Priya", "Luis", "Ana", "Hiroshi", "Mei", "Andre", "Keisha", "Omar", "Fatima", "Diego",
    "Sofia", "Tyler", "Megan", "Raj", "Grace", "Marcus", "Olivia", "Ethan", "Hannah",
    "Noah", "Chloe", "Samuel", "Rosa", "Trevor", "Lauren",
)  # fmt: skip

LAST_NAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson",
    "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
    "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen",
    "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams",
    "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Chen",
    "Patel", "Kim", "Tanaka", "O'Brien", "Sullivan", "Murphy", "Kowalski", "Schmidt",
    "Johansson",
)  # fmt: skip

# First half of a company name: places, landmarks and evocative words.
COMPANY_PLACES: tuple[str, ...] = (
    "Harbor View", "Cascade", "Evergreen", "Summit", "Pinecrest", "Bayside", "Golden Gate",
    "Redwood", "Lakeside", "Riverbend", "Oak Hill", "Maple Street", "Union Square",
    "Beacon Hill", "Liberty", "Coastal", "Northstar", "Bluebird", "Copper Kettle",
    "Silver Creek", "Granite", "Sunrise", "Westside", "Eastgate", "Mission", "Pioneer",
    "Highland", "Meadowbrook", "Stonebridge", "Willow", "Cedar Grove", "Ironwood",
    "Blue Ridge", "Peachtree", "Magnolia", "Elm Street", "Brightwater", "Fox Hollow",
    "Hilltop", "Crescent", "Rainier", "Puget Sound", "Columbia River", "Mount Hood",
    "Back Bay", "Charles River", "Sierra", "Pacific", "Atlantic", "Hudson", "Greenleaf",
    "Red Barn", "Old Town", "Market Street", "Lighthouse", "Twin Oaks", "Three Rivers",
    "Bridgeport", "Fairview", "Parkside",
)  # fmt: skip

# Second half of a company name. Hospitality, healthcare, facilities and light industry:
# the customers of a foodservice / janitorial / MRO distributor.
BUSINESS_TYPES: tuple[str, ...] = (
    "Bistro", "Cafe", "Diner", "Grill", "Bakery", "Pizzeria", "Taqueria", "Deli",
    "Coffee Roasters", "Brewing Company", "Brewpub", "Catering", "Kitchen", "Noodle House",
    "Dental Group", "Family Dentistry", "Medical Clinic", "Urgent Care",
    "Veterinary Hospital", "Physical Therapy", "Fitness Club", "Yoga Studio", "Hotel", "Inn",
    "Suites", "Senior Living", "Montessori Academy", "Learning Center", "Property Management",
    "Apartments", "Office Park", "Auto Repair", "Car Wash", "Machine Works", "Fabrication",
    "Manufacturing", "Logistics", "Plumbing & Heating", "Electric", "Market", "Grocery",
    "Country Club", "Golf Club", "Community Church", "Janitorial Services",
    "Cleaning Company", "Event Center", "Brewery & Taproom",
)  # fmt: skip

CONTACT_ROLES: tuple[str, ...] = (
    "Owner", "Purchasing Manager", "Office Manager", "General Manager", "Facilities Manager",
    "Executive Chef", "Operations Manager", "Accounts Payable", "Kitchen Manager",
    "Maintenance Supervisor", "Buyer",
)  # fmt: skip


# --- catalogue ---------------------------------------------------------------------------

CATEGORIES: tuple[tuple[str, str], ...] = (
    ("JAN", "Janitorial & Cleaning Chemicals"),
    ("PAP", "Paper Products & Dispensers"),
    ("PPE", "Gloves & Safety"),
    ("FSD", "Foodservice Disposables"),
    ("KIT", "Kitchen Smallwares"),
    ("BRK", "Breakroom & Snacks"),
    ("CAN", "Can Liners & Waste Receptacles"),
    ("IND", "Industrial & MRO"),
    ("OFF", "Office Supplies"),
    ("PKG", "Packaging & Shipping"),
)

# An attribute value is either a plain label or (label, price factor against the item's
# base price), e.g. ("5 gal Pail", 4.2).
Attr = str | tuple[str, float]


class BaseItem(NamedTuple):
    """One base item; the catalogue holds one product per combination of its attributes."""

    name: str
    attrs: tuple[tuple[Attr, ...], ...]
    pack: str  # appended to the name, e.g. "Case of 12"; "" for none
    unit_of_measure: str  # each | case | box | roll | pack
    pack_size: int  # units per orderable pack: quantities are multiples of it
    price_cents: int  # typical base price of one unit before attribute factors
    description: str
    tax_category: str = "standard"


_S4 = ("Small", "Medium", "Large", "X-Large")
_GAL = (("1 gal", 1.0), ("5 gal Pail", 4.3))
_BW = ("Black", "White")

CATALOG: dict[str, tuple[BaseItem, ...]] = {
    "JAN": (
        BaseItem("All-Purpose Cleaner", (("Lemon", "Unscented", "Fresh Pine"),
                 (("32 oz Spray Bottle", 1.0), ("1 gal Jug", 2.4))), "", "each", 12, 549,
                 "Ready-to-use cleaner for counters, walls and most washable surfaces."),
        BaseItem("Glass Cleaner", (("Ammonia-Free", "Foaming"),
                 (("32 oz Spray Bottle", 1.0), ("1 gal Jug", 2.5))), "", "each", 12, 429,
                 "Streak-free cleaner for glass, mirrors and stainless steel."),
        BaseItem("Disinfectant Cleaner, EPA-Registered", (("Citrus", "Unscented"),
                 (("32 oz Spray Bottle", 1.0), ("1 gal Jug", 2.6), ("5 gal Pail", 10.0))), "",
                 "each", 1, 799, "One-step hospital-grade disinfectant; 10-minute contact time."),
        BaseItem("Neutral Floor Cleaner Concentrate", (_GAL,), "", "each", 1, 1899,
                 "pH-neutral concentrate for finished floors; dilute 1:256."),
        BaseItem("Heavy-Duty Degreaser", (("Citrus", "Solvent-Free"), _GAL), "", "each", 1,
                 2199, "Cuts grease on kitchen floors, hoods and shop equipment."),
        BaseItem("Bathroom Cleaner", (("Foaming", "Non-Acid", "Descaling"),), "32 oz, Case of 12",
                 "case", 1, 5499, "Removes soap scum and hard-water stains; bowl-safe."),
        BaseItem("Foaming Hand Soap Refill", (("Unscented", "Cucumber Melon", "Antibacterial"),
                 (("1000 mL Cartridge", 1.0), ("1200 mL Cartridge", 1.15))), "", "each", 6,
                 1149, "Fits standard manual and touch-free foam dispensers."),
        BaseItem("Hand Sanitizer Gel, 70% Alcohol", ((("8 oz Pump Bottle", 0.4),
                 ("1000 mL Refill", 1.0), ("1 gal Jug", 2.8)),), "", "each", 1, 1399,
                 "Fragrance-free gel with aloe; kills 99.9% of common germs."),
        BaseItem("Floor Finish, High-Gloss", (_GAL,), "", "each", 1, 2999,
                 "Durable acrylic finish for VCT and resilient floors."),
        BaseItem("Floor Stripper, No-Rinse", (_GAL,), "", "each", 1, 2699,
                 "Removes multiple coats of finish without a neutralising rinse."),
        BaseItem("Pot & Pan Detergent", (("Original", "Lemon"),), "1 gal, Case of 4", "case", 1,
                 4299, "Manual dishwashing detergent for heavy baked-on soils."),
        BaseItem("Dishmachine Detergent", ((("Liquid, 5 gal", 1.0), ("Powder, 25 lb", 1.1)),), "",
                 "each", 1, 7999, "High-alkaline detergent for commercial dishmachines."),
        BaseItem("Microfiber Cleaning Cloths", (("Blue", "Green", "Yellow", "Red"),
                 ("12 x 12 in", "16 x 16 in")), "Pack of 12", "pack", 1, 1599,
                 "Colour-coded, launderable up to 300 times."),
    ),
    "PAP": (
        BaseItem("Multifold Paper Towels", (("White", "Natural Kraft"), ("1-Ply", "2-Ply")),
                 "Case of 4000", "case", 1, 3899, "Fits standard multifold dispensers."),
        BaseItem("Hardwound Roll Towels", (("White", "Natural"),
                 (("8 in x 600 ft", 1.0), ("8 in x 800 ft", 1.2), ("10 in x 800 ft", 1.4))),
                 "Case of 6", "case", 1, 4299, "High-capacity rolls for lever and touchless dispensers."),
        BaseItem("Toilet Tissue", ((("Standard Roll, 2-Ply, 500 Sheets, Case of 96", 1.0),
                 ("Jumbo Roll, 9 in, Case of 12", 0.9),
                 ("Coreless Roll, 2-Ply, 1000 Sheets, Case of 36", 1.1)),), "", "case", 1, 6499,
                 "Soft, septic-safe tissue for commercial washrooms."),
        BaseItem("Facial Tissue", ((("Flat Box, 100 Sheets", 1.0), ("Cube Box, 85 Sheets", 1.1)),),
                 "Case of 30", "case", 1, 4599, "2-ply facial tissue."),
        BaseItem("Kitchen Roll Towels, 2-Ply, 85 Sheets", (), "Case of 30", "case", 1, 4199,
                 "Perforated kitchen towels."),
        BaseItem("Paper Towel Dispenser", (("Manual Lever", "Touchless", "Multifold"), _BW), "",
                 "each", 1, 5999, "Wall-mounted, lockable, with sight window."),
        BaseItem("Toilet Tissue Dispenser", (("Jumbo Roll, Single", "Jumbo Roll, Double",
                 "Standard Roll, Dual"), _BW), "", "each", 1, 3499,
                 "Impact-resistant ABS housing with key lock."),
        BaseItem("Soap Dispenser", ((("Manual", 1.0), ("Touchless", 2.3)), ("Black", "White", "Chrome")),
                 "", "each", 1, 2499, "Accepts 1000 and 1200 mL foam cartridges."),
        BaseItem("Dinner Napkins", (("1-Ply", "2-Ply"), ("White", "Black", "Burgundy")),
                 "Case of 3000", "case", 1, 5199, "1/8 fold, 15 x 17 in."),
        BaseItem("Beverage Napkins", (("White", "Kraft"),), "Case of 4000", "case", 1, 3299,
                 "1-ply cocktail napkins."),
    ),
    "PPE": (
        BaseItem("Nitrile Gloves, Powder-Free", (_S4, ("Blue", "Black")), "Box of 100", "box", 1,
                 1299, "4 mil exam-grade nitrile; latex-free, food-safe."),
        BaseItem("Vinyl Gloves, Powder-Free", (_S4,), "Box of 100", "box", 1, 699,
                 "Economical clear vinyl for light-duty tasks."),
        BaseItem("Latex Gloves, Lightly Powdered", (_S4,), "Box of 100", "box", 1, 899,
                 "Natural rubber latex, textured fingertips."),
        BaseItem("Poly Food Service Gloves", (("Medium", "Large"),), "Box of 500", "box", 1, 599,
                 "Loose-fit embossed polyethylene for food prep."),
        BaseItem("Cut-Resistant Gloves, ANSI A4", (_S4,), "Pair", "each", 12, 1099,
                 "HPPE shell with nitrile palm coating."),
        BaseItem("Safety Glasses", (("Clear", "Smoke", "Anti-Fog Clear"),), "", "each", 12, 399,
                 "ANSI Z87.1 polycarbonate lens, wraparound frame."),
        BaseItem("Disposable Face Masks, 3-Ply", (), "Box of 50", "box", 1, 899,
                 "Ear-loop procedure masks."),
        BaseItem("N95 Respirator, NIOSH-Approved", (), "Box of 20", "box", 1, 2499,
                 "Cup-style particulate respirator."),
        BaseItem("Hi-Vis Safety Vest, ANSI Class 2", (("Medium", "Large", "X-Large", "2X-Large"),
                 ("Lime", "Orange")), "", "each", 1, 1299, "Mesh vest with reflective tape."),
        BaseItem("Foam Earplugs", (("Corded", "Uncorded"),), "Box of 100 Pairs", "box", 1, 2999,
                 "NRR 32 dB, individually bagged pairs."),
        BaseItem("Hair Nets, 21 in", (("Brown", "Black", "White"),), "Pack of 100", "pack", 1, 899,
                 "Lightweight nylon mesh for food handling."),
        BaseItem("Beard Covers", (("White", "Blue"),), "Pack of 100", "pack", 1, 999,
                 "Polypropylene, elastic edge."),
        BaseItem("Disposable Aprons, Polyethylene", (("White", "Blue"),), "Pack of 100", "pack", 1,
                 1499, "28 x 46 in, 1 mil."),
    ),
    "FSD": (
        BaseItem("Paper Hot Cups", ((("8 oz", 0.8), ("12 oz", 1.0), ("16 oz", 1.15), ("20 oz", 1.3)),
                 ("White", "Kraft")), "Case of 1000", "case", 1, 6499, "Double-poly lined hot cups."),
        BaseItem("Hot Cup Lids", (("8 oz", "12-20 oz"), _BW), "Case of 1000", "case", 1, 3999,
                 "Sip-through dome lids."),
        BaseItem("Clear PET Cold Cups", ((("12 oz", 0.85), ("16 oz", 1.0), ("20 oz", 1.15),
                 ("24 oz", 1.3)),), "Case of 1000", "case", 1, 7999, "Crystal-clear, recyclable #1."),
        BaseItem("Compostable Fiber Clamshell", ((("6 in", 0.8), ("8 in", 1.0),
                 ("9 in, 3-Compartment", 1.2)),), "Case of 300", "case", 1, 5499,
                 "Molded fiber, PFAS-free, BPI-certified compostable."),
        BaseItem("Deli Containers with Lids", ((("8 oz", 0.8), ("16 oz", 1.0), ("32 oz", 1.3)),),
                 "Case of 240", "case", 1, 4799, "Microwave-safe polypropylene combo packs."),
        BaseItem("Heavyweight Plastic Cutlery", (("Forks", "Knives", "Spoons"), _BW),
                 "Case of 1000", "case", 1, 2699, "Polystyrene, heavyweight."),
        BaseItem("Wrapped Jumbo Straws", (("Paper", "Plastic"),), "Case of 2000", "case", 1, 2999,
                 "7.75 in, individually wrapped."),
        BaseItem("Aluminum Steam Table Pans", (("Half-Size", "Full-Size"), ("Shallow", "Deep")),
                 "Case of 50", "case", 1, 4999, "Disposable foil pans for catering."),
        BaseItem("Zipper Food Storage Bags", ((("Quart", 1.0), ("Gallon", 1.3)),), "Case of 500",
                 "case", 1, 3599, "Reclosable freezer-grade bags."),
        BaseItem("Aluminum Foil Roll", ((("12 in x 500 ft", 1.0), ("18 in x 500 ft", 1.5)),), "",
                 "roll", 1, 2899, "Standard-weight foodservice foil."),
        BaseItem("Plastic Film Wrap", ((("12 in x 2000 ft", 1.0), ("18 in x 2000 ft", 1.4)),), "",
                 "roll", 1, 2499, "Cling film in cutter box."),
        BaseItem("Paper Plates, Heavy-Duty", ((("6 in", 0.6), ("9 in", 1.0), ("10 in", 1.2)),),
                 "Case of 1000", "case", 1, 5899, "Coated, soak-proof paper plates."),
        BaseItem("Kraft To-Go Bags with Handles", ((("Small", 0.8), ("Medium", 1.0),
                 ("Large", 1.25)),), "Case of 250", "case", 1, 6299, "Recycled kraft paper."),
        BaseItem("Pizza Boxes, Corrugated", ((("10 in", 0.8), ("12 in", 0.9), ("14 in", 1.0),
                 ("16 in", 1.15)),), "Bundle of 50", "pack", 1, 3299, "Kraft B-flute pizza boxes."),
    ),
    "KIT": (
        BaseItem("NSF Cutting Board", ((("12 x 18 in", 1.0), ("15 x 20 in", 1.3),
                 ("18 x 24 in", 1.7)), ("White", "Red", "Green", "Yellow", "Blue")), "", "each", 1,
                 1899, "Colour-coded polyethylene board, dishwasher-safe."),
        BaseItem("Square Polycarbonate Storage Container", ((("2 qt", 0.6), ("4 qt", 0.8),
                 ("6 qt", 1.0), ("8 qt", 1.15), ("12 qt", 1.5)),), "", "each", 6, 1299,
                 "Clear, graduated, stackable."),
        BaseItem("Stainless Steel Hotel Pan", ((("Full-Size", 1.6), ("Half-Size", 1.0),
                 ("Third-Size", 0.8)), (("2.5 in Deep", 0.9), ("4 in Deep", 1.0),
                 ("6 in Deep", 1.2))), "", "each", 6, 1599, "22-gauge anti-jam steam table pan."),
        BaseItem("Chef's Knife, Stamped", ((("8 in", 1.0), ("10 in", 1.2)),), "", "each", 1, 2999,
                 "High-carbon stainless blade with slip-resistant handle."),
        BaseItem("Aluminum Sheet Pan", ((("Full", 1.4), ("Half", 1.0), ("Quarter", 0.7)),), "",
                 "each", 12, 1299, "18-gauge, wire-reinforced rim."),
        BaseItem("Kitchen Thermometer", ((("Digital Probe", 1.0), ("Dial Pocket", 0.5)),), "",
                 "each", 1, 1999, "NSF-listed, -40 to 450 F."),
        BaseItem("Food Rotation Labels", (("Monday", "Tuesday", "Wednesday", "Thursday",
                 "Friday", "Saturday", "Sunday"),), "Roll of 500", "roll", 1, 699,
                 "Dissolvable day-of-week labels."),
        BaseItem("Heavy-Duty Scouring Pads", (("Green", "Brown"),), "Case of 60", "case", 1, 3299,
                 "6 x 9 in pads for grills and pots."),
        BaseItem("Silicone Spatula", (("10 in", "14 in"), ("Red", "White")), "", "each", 1, 899,
                 "Heat-resistant to 500 F."),
    ),
    "BRK": (
        BaseItem("Ground Coffee", (("House Blend", "French Roast", "Colombian", "Decaf"),
                 (("2.5 oz Fraction Packs, Case of 42", 1.0), ("2 lb Bag", 0.55))), "", "case", 1,
                 5499, "100% Arabica, roasted in small batches.", "food"),
        BaseItem("Single-Serve Coffee Pods", (("Medium Roast", "Dark Roast", "Decaf"),
                 (("Box of 24", 1.0), ("Box of 96", 3.6))), "", "box", 1, 1699,
                 "Compatible with Keurig K-Cup brewers.", "food"),
        BaseItem("Tea Bags", (("English Breakfast", "Green", "Chamomile", "Earl Grey"),),
                 "Box of 100", "box", 1, 899, "Individually wrapped tea bags.", "food"),
        BaseItem("Liquid Creamer Singles", (("Original", "French Vanilla", "Hazelnut"),),
                 "Box of 192", "box", 1, 1899, "Shelf-stable portion cups.", "food"),
        BaseItem("Sweetener Packets", ((("Pure Cane Sugar", 1.0), ("Stevia", 1.6),
                 ("Sucralose", 1.3)),), "Box of 1000", "box", 1, 2199, "Single-serve packets.",
                 "food"),
        BaseItem("Bottled Spring Water", ((("16.9 oz, Case of 24", 1.0), ("1 gal, Case of 6", 1.4)),),
                 "", "case", 1, 899, "Natural spring water.", "food"),
        BaseItem("Sparkling Water, 12 oz Cans", (("Unflavored", "Lime", "Lemon", "Grapefruit"),),
                 "Case of 24", "case", 1, 1399, "Zero-calorie sparkling water.", "food"),
        BaseItem("Granola Bars", (("Oats & Honey", "Chocolate Chip", "Peanut Butter"),),
                 "Box of 48", "box", 1, 2299, "Individually wrapped snack bars.", "food"),
        BaseItem("Kettle Chips, 1.5 oz Bags", (("Sea Salt", "BBQ", "Salt & Vinegar",
                 "Jalapeno"),), "Case of 64", "case", 1, 4299, "Kettle-cooked potato chips.",
                 "food"),
        BaseItem("Individually Wrapped Cookies", (("Chocolate Chip", "Oatmeal Raisin",
                 "Double Chocolate"),), "Case of 60", "case", 1, 3199, "Fresh-baked, 2 oz each.",
                 "food"),
        BaseItem("Trail Mix, 2 oz Packs", (("Classic", "Tropical"),), "Case of 72", "case", 1,
                 5299, "Nuts, raisins and chocolate pieces.", "food"),
        BaseItem("Hot Cocoa Mix Packets", (("Milk Chocolate", "Dark Chocolate"),), "Box of 50",
                 "box", 1, 1299, "Just add hot water.", "food"),
    ),
    "CAN": (
        BaseItem("Low-Density Trash Liners", ((("7-10 gal", 0.5), ("12-16 gal", 0.65),
                 ("33 gal", 0.9), ("45 gal", 1.0), ("55-60 gal", 1.2)), ("Clear", "Black")),
                 "Case of 250", "case", 1, 3999, "1.2 mil low-density liners for sharp waste."),
        BaseItem("Heavy-Duty Trash Liners 55 gal", (("Black", "Clear"),), "Case of 100", "case", 1,
                 4999, "2 mil, extra-strong star seal."),
        BaseItem("High-Density Can Liners", ((("24 x 33 in, 12-16 gal", 0.6), ("33 x 40 in, 33 gal",
                 0.85), ("40 x 48 in, 45 gal", 1.0), ("38 x 60 in, 60 gal", 1.2)),), "Case of 500",
                 "case", 1, 4499, "Economical high-density liners for paper waste."),
        BaseItem("Contractor Bags, 42 gal, 3 mil", (), "Case of 32", "case", 1, 3599,
                 "Puncture-resistant for construction debris."),
        BaseItem("Compostable Can Liners", ((("13 gal", 1.0), ("33 gal", 1.6)),), "Case of 150",
                 "case", 1, 5999, "BPI-certified, for food-waste collection."),
        BaseItem("Round Waste Receptacle", ((("32 gal", 1.0), ("44 gal", 1.3), ("55 gal", 1.6)),
                 ("Gray", "Blue")), "", "each", 1, 4999, "Heavy-duty plastic with venting channels."),
        BaseItem("Round Receptacle Lid", (("32 gal", "44 gal", "55 gal"),), "", "each", 1, 1899,
                 "Snap-on flat lid."),
        BaseItem("Swing-Top Wastebasket", ((("7 gal", 1.0), ("23 gal", 2.1)),), "", "each", 1,
                 2199, "Self-closing swing lid."),
        BaseItem("Recycling Container, Blue", ((("23 gal", 1.0), ("32 gal", 1.3)),), "", "each", 1,
                 6999, "Slim-profile container with recycle symbol."),
    ),
    "IND": (
        BaseItem("Hex Cap Screws, Grade 5, Zinc", ((("1/4-20", 0.7), ("5/16-18", 0.85),
                 ("3/8-16", 1.0), ("1/2-13", 1.6)), (("1 in", 0.8), ("1-1/2 in", 1.0),
                 ("2 in", 1.2))), "Box of 100", "box", 1, 1599, "SAE Grade 5 zinc-plated steel."),
        BaseItem("Hex Nuts, Grade 5, Zinc", ((("1/4-20", 0.7), ("5/16-18", 0.85), ("3/8-16", 1.0),
                 ("1/2-13", 1.6)),), "Box of 100", "box", 1, 899, "Finished hex nuts."),
        BaseItem("Flat Washers, Zinc", (("1/4 in", "5/16 in", "3/8 in", "1/2 in"),), "Box of 100",
                 "box", 1, 599, "SAE flat washers."),
        BaseItem("Duct Tape, 2 in x 60 yd", (("Silver", "Black"),), "", "roll", 24, 899,
                 "General-purpose cloth duct tape."),
        BaseItem("Masking Tape, 60 yd", (("1 in", "2 in"),), "", "roll", 24, 499,
                 "Paper masking tape for general use."),
        BaseItem("Penetrating Lubricant, 11 oz Aerosol", (), "", "each", 12, 799,
                 "Loosens rusted parts, displaces moisture."),
        BaseItem("Silicone Spray Lubricant, 11 oz Aerosol", (), "", "each", 12, 899,
                 "Dry-film lubricant, food-grade H1."),
        BaseItem("Red Shop Towels", (("Pack of 50", "Box of 200"),), "", "pack", 1, 2299,
                 "Launderable cotton shop towels."),
        BaseItem("Cable Ties", (("4 in", "8 in", "11 in", "14 in"), ("Black", "Natural")),
                 "Bag of 100", "pack", 1, 499, "UV-resistant nylon 6/6."),
        BaseItem("Alkaline Batteries", ((("AA", 1.0), ("AAA", 1.0), ("C", 1.5), ("D", 1.7),
                 ("9V", 1.9)),), "Pack of 24", "pack", 1, 1899, "Long-life alkaline cells."),
        BaseItem("LED Lamp", ((("A19, 60W Equivalent", 0.6), ("A19, 100W Equivalent", 0.8),
                 ("T8 4 ft Tube", 1.0), ("PAR38 Flood", 1.5)), ("3000K", "4000K", "5000K")), "",
                 "each", 6, 899, "Energy-saving LED, 50,000-hour rating."),
        BaseItem("Extension Cord, 14/3 Outdoor", ((("25 ft", 1.0), ("50 ft", 1.7),
                 ("100 ft", 2.9)),), "", "each", 1, 2999, "SJTW jacket, lighted end."),
        BaseItem("Absorbent Spill Pads, Universal", (), "Bale of 100", "pack", 1, 5499,
                 "15 x 19 in, absorbs oil, coolant and water."),
    ),
    "OFF": (
        BaseItem("Copy Paper, 8.5 x 11 in, 20 lb", (("92 Bright", "96 Bright", "30% Recycled"),),
                 "Case of 10 Reams", "case", 1, 5499, "Multipurpose paper for laser and inkjet."),
        BaseItem("Ballpoint Pens, Medium Point", (("Black", "Blue", "Red"),), "Box of 12", "box", 1,
                 499, "Smooth-writing stick pens."),
        BaseItem("Retractable Gel Pens, 0.7 mm", (("Black", "Blue"),), "Box of 12", "box", 1, 1299,
                 "Quick-drying gel ink."),
        BaseItem("Permanent Markers, Fine Tip", (("Black", "Assorted Colors"),), "Pack of 12",
                 "pack", 1, 1099, "Quick-drying, water-resistant."),
        BaseItem("Highlighters, Chisel Tip", (("Yellow", "Assorted Colors"),), "Pack of 12", "pack",
                 1, 899, "Smear-resistant fluorescent ink."),
        BaseItem("Sticky Notes", ((("3 x 3 in, Yellow", 1.0), ("3 x 3 in, Assorted", 1.1),
                 ("4 x 6 in, Lined", 1.5)),), "Pack of 12 Pads", "pack", 1, 1199, "Repositionable."),
        BaseItem("File Folders, 1/3 Cut Tab", (("Letter", "Legal"), ("Manila", "Assorted Colors")),
                 "Box of 100", "box", 1, 1799, "11 pt stock."),
        BaseItem("3-Ring Binder", ((("1 in", 0.8), ("1.5 in", 0.9), ("2 in", 1.0), ("3 in", 1.3)),
                 _BW), "", "each", 12, 599, "View binder with clear overlay."),
        BaseItem("#10 Envelopes", (("Plain", "Security Tint", "Window"),), "Box of 500", "box", 1,
                 2499, "Gummed seal, 4-1/8 x 9-1/2 in."),
        BaseItem("Laser Labels", ((("Address, 1 x 2-5/8 in", 1.0), ("Shipping, 2 x 4 in", 1.0),
                 ("Full Sheet", 1.1)),), "Box of 100 Sheets", "box", 1, 2899, "White, permanent."),
        BaseItem("Standard Staples", (), "Box of 5000", "box", 1, 299, "1/4 in leg, fits most staplers."),
        BaseItem("Desktop Stapler", (), "", "each", 1, 1499, "20-sheet capacity."),
    ),
    "PKG": (
        BaseItem("Corrugated Shipping Boxes", ((("8 x 6 x 4 in", 0.5), ("10 x 8 x 6 in", 0.65),
                 ("12 x 9 x 6 in", 0.75), ("12 x 12 x 12 in", 1.0), ("16 x 12 x 8 in", 1.05),
                 ("18 x 18 x 12 in", 1.4), ("20 x 20 x 20 in", 1.9), ("24 x 18 x 18 in", 2.1)),),
                 "Bundle of 25", "pack", 1, 3299, "32 ECT single-wall kraft boxes."),
        BaseItem("Packing Tape", (("Clear", "Tan"), (("1.88 in x 55 yd", 1.0),
                 ("2.83 in x 110 yd", 1.8))), "Case of 36", "case", 1, 5999,
                 "Hot-melt carton sealing tape, 2 mil."),
        BaseItem("Stretch Wrap", ((("18 in x 1500 ft, 80 Gauge", 1.0), ("18 in x 1500 ft, 70 Gauge",
                 0.9), ("5 in x 1000 ft, Bundling", 0.4)),), "Case of 4", "case", 1, 8999,
                 "Cast stretch film for pallet wrapping."),
        BaseItem("Bubble Cushioning Roll", ((("3/16 in x 12 in x 175 ft", 1.0),
                 ("1/2 in x 24 in x 250 ft", 1.9)),), "", "roll", 1, 2999, "Perforated every 12 in."),
        BaseItem("Poly Mailers", ((("10 x 13 in", 0.8), ("12 x 15.5 in", 1.0),
                 ("14.5 x 19 in", 1.3)),), "Case of 500", "case", 1, 4999, "Self-seal, tamper-evident."),
        BaseItem("Padded Bubble Mailers", ((("#0, 6 x 10 in", 0.8), ("#2, 8.5 x 12 in", 1.0),
                 ("#5, 10.5 x 16 in", 1.3), ("#7, 14.25 x 20 in", 1.6)),), "Case of 100", "case", 1,
                 3999, "Kraft outer, bubble-lined."),
        BaseItem("Kraft Void Fill Paper, 15 in", (), "Roll of 1200 ft", "roll", 1, 4599,
                 "30 lb recycled kraft."),
        BaseItem("Packing Peanuts", (), "Bag of 14 cu ft", "pack", 1, 3999,
                 "Anti-static loose fill."),
        BaseItem("Poly Strapping Kit", (), "", "each", 1, 12999,
                 "Cart, 1/2 in strapping, buckles and tensioner."),
        BaseItem("Shipping Labels, Fragile", (), "Roll of 500", "roll", 1, 1499,
                 "Red on white, 3 x 5 in."),
        BaseItem("Tape Gun Dispenser, 2 in", (), "", "each", 6, 1299, "Adjustable tension."),
    ),
}
