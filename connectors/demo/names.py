"""Fixed vocabulary of the demo world: Northwind Labs' staff, customers and people names.

Everything random in the world is drawn from these lists with a seeded ``random.Random``.
"""

from __future__ import annotations

from typing import Final, Literal

Profile = Literal["story", "healthy", "at_risk", "prospect", "churned"]

SELLER: Final = "Northwind Labs"
SELLER_DOMAIN: Final = "northwind.example"

# (name, title, roles); emails are first.last@northwind.example
EMPLOYEES: Final[tuple[tuple[str, str, tuple[str, ...]], ...]] = (
    ("Dana Reyes", "Account Executive", ("sales",)),
    ("Marcus Chen", "Account Executive", ("sales",)),
    ("Priya Patel", "Senior Account Executive", ("sales",)),
    ("Leah Okafor", "Account Executive", ("sales",)),
    ("Sam Whitfield", "Account Executive", ("sales",)),
    ("Tom Becker", "Senior Account Executive", ("sales",)),
    ("Rachel Kim", "Sales Manager", ("sales", "manager")),
    ("Victor Alvarez", "VP of Sales", ("sales", "manager", "executive")),
    ("Nora Lindqvist", "Support Lead", ("support", "manager")),
    ("Omar Haddad", "Finance Manager", ("finance", "manager")),
    ("Grace Liu", "Customer Success Manager", ("customer_success",)),
    ("Ben Carter", "Marketing Manager", ("marketing",)),
)

SALES_REPS: Final = EMPLOYEES[:6]
STORY_OWNER: Final = "Dana Reyes"

# Who reports to whom (by name); Victor Alvarez reports to nobody.
MANAGERS: Final[dict[str, str]] = {
    **{name: "Rachel Kim" for name, _, _ in SALES_REPS},
    "Rachel Kim": "Victor Alvarez",
    "Nora Lindqvist": "Victor Alvarez",
    "Omar Haddad": "Victor Alvarez",
    "Grace Liu": "Rachel Kim",
    "Ben Carter": "Victor Alvarez",
}

# Colleagues on the team of every deal of a customer, besides its owner (by name): Dana
# co-sells Lumen & Oak's expansion with Tom Becker, and Grace Liu, Acme's customer success
# manager, works on Acme's deals. Everyone else's deals are their owner's alone.
DEAL_TEAMS: Final[dict[str, tuple[str, ...]]] = {
    "Acme Corporation": ("Grace Liu",),
    "Lumen & Oak Interiors": ("Dana Reyes",),
}

# (CRM name, domain, industry, profile)
COMPANIES: Final[tuple[tuple[str, str, str, Profile], ...]] = (
    ("Acme Corporation", "acme.io", "Industrial Automation", "story"),
    ("Blue Harbor Logistics", "blueharbor.com", "Logistics", "healthy"),
    ("Summit Health Systems", "summithealth.org", "Healthcare", "healthy"),
    ("Summit Financial Group", "summitfg.com", "Financial Services", "healthy"),
    ("Pinecrest Analytics", "pinecrest.ai", "Software", "healthy"),
    ("Redwood Retail Co.", "redwoodretail.com", "Retail", "healthy"),
    ("Quantum Freight Inc.", "quantumfreight.com", "Logistics", "healthy"),
    ("Brightline Energy", "brightline-energy.com", "Energy", "healthy"),
    ("Cobalt Robotics Ltd", "cobaltrobotics.com", "Robotics", "healthy"),
    ("Meridian Insurance Group", "meridianins.com", "Insurance", "at_risk"),
    ("Helix Biotech", "helixbio.com", "Biotechnology", "healthy"),
    ("Lumen & Oak Interiors", "lumenoak.com", "Retail", "healthy"),
    ("Northgate Properties LLC", "northgate.com", "Real Estate", "healthy"),
    ("Orbital Media", "orbitalmedia.tv", "Media", "healthy"),
    ("Sterling Manufacturing Corp", "sterlingmfg.com", "Manufacturing", "at_risk"),
    ("Tidewater Foods", "tidewaterfoods.com", "Food & Beverage", "at_risk"),
    ("Vertex Telecom", "vertextel.net", "Telecommunications", "at_risk"),
    ("Willow Creek Schools", "willowcreek.edu", "Education", "healthy"),
    ("Crescent Hotels", "crescenthotels.com", "Hospitality", "healthy"),
    ("Falcon Aerospace GmbH", "falcon-aero.de", "Aerospace", "healthy"),
    ("Granite Construction Partners", "granitecp.com", "Construction", "healthy"),
    ("Harborview Clinics", "harborview-clinics.com", "Healthcare", "healthy"),
    ("Ironclad Security", "ironcladsec.io", "Cybersecurity", "healthy"),
    ("Juniper Legal LLP", "juniperlegal.com", "Legal Services", "healthy"),
    ("Kestrel Capital", "kestrelcap.com", "Financial Services", "healthy"),
    ("Lakeside Dairy Co-op", "lakesidedairy.coop", "Agriculture", "healthy"),
    ("Maple & Main Bank", "maplemainbank.com", "Banking", "healthy"),
    ("Nimbus Cloud Services", "nimbuscloud.io", "Software", "healthy"),
    ("Oakridge Pharmaceuticals", "oakridgepharma.com", "Pharmaceuticals", "healthy"),
    ("Polaris Mobility", "polarismobility.com", "Automotive", "prospect"),
    ("Quarry Stone Works", "quarrystone.com", "Construction", "churned"),
    ("Riverbend Utilities", "riverbend-utilities.com", "Utilities", "at_risk"),
    ("Saffron Restaurant Group", "saffrongroup.com", "Hospitality", "healthy"),
    ("Trident Marine Ltd", "tridentmarine.co.uk", "Maritime", "healthy"),
    ("Umbra Design Studio", "umbra.design", "Design", "prospect"),
    ("Valence Chemicals AG", "valence-chem.ch", "Chemicals", "healthy"),
    ("Westwind Airlines", "westwindair.com", "Airlines", "at_risk"),
    ("Xenon Semiconductors", "xenonsemi.com", "Semiconductors", "prospect"),
    ("Yellowstone Outfitters", "ysoutfitters.com", "Retail", "churned"),
    ("Zephyr Wind Power", "zephyrwind.com", "Energy", "healthy"),
    ("Atlas Staffing", "atlasstaffing.com", "Staffing", "healthy"),
    ("Beacon Health Partners", "beaconhp.com", "Healthcare", "healthy"),
    ("Cedar Point Software", "cedarpoint.dev", "Software", "prospect"),
    ("Delta Freightways", "deltafreightways.com", "Logistics", "healthy"),
    ("Evergreen Insurance Co.", "evergreenins.com", "Insurance", "healthy"),
    ("Fjord Seafood SA", "fjordseafood.no", "Food & Beverage", "healthy"),
    ("Gemini Payments", "geminipay.io", "Fintech", "prospect"),
    ("Horizon Telehealth", "horizontelehealth.com", "Healthcare", "prospect"),
)

# Prospects Dana Reyes works by hand for the webinar follow-up story (connectors.demo.
# story_webinar): (CRM name, domain, industry, ((contact name, title), ...)).
WEBINAR_PROSPECTS: Final[
    tuple[tuple[str, str, str, tuple[tuple[str, str], ...]], ...]
] = (
    ("Tamarack Systems", "tamarack.io", "Software", (
        ("Elena Vasquez", "Head of Customer Operations"),
        ("Marco Bianchi", "VP of Engineering"),
        ("Sophie Laurent", "Director of Support"),
        ("Kwame Mensah", "Chief Financial Officer"),
    )),
    ("Solstice Biolabs", "solsticebio.com", "Biotechnology", (
        ("Hannah Fischer", "Director of IT"),
        ("Rahul Mehta", "Operations Manager"),
        ("Yuki Tanabe", "Head of Customer Experience"),
        ("Peter Lindgren", "Procurement Manager"),
    )),
    ("Wavecrest Studios", "wavecrest.studio", "Media", (
        ("Amara Nwosu", "COO"),
        ("Jonas Weber", "Platform Lead"),
        ("Clara Jimenez", "Support Manager"),
        ("Felix Obi", "Solutions Architect"),
    )),
)  # fmt: skip

FIRST_NAMES: Final = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Ethan", "Sophia", "Mason", "Isabella", "Lucas",
    "Mia", "Aiden", "Amelia", "Elijah", "Harper", "James", "Evelyn", "Benjamin", "Abigail",
    "Henry", "Emily", "Alexander", "Ella", "Daniel", "Chloe", "Matthew", "Grace", "Samuel",
    "Zoe", "David", "Hannah", "Joseph", "Layla", "Carter", "Nora", "Owen", "Riley", "Wyatt",
    "Aria", "Julian", "Lily", "Gabriel", "Maya", "Isaac", "Aisha", "Kenji", "Fatima", "Mateo",
    "Ingrid", "Ravi", "Lucia", "Tariq", "Mei", "Sven", "Camila", "Oluwaseun", "Anika", "Diego",
)  # fmt: skip

LAST_NAMES: Final = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Tanaka", "Kowalski", "Schmidt",
    "Okonkwo", "Singh", "Haddad", "Novak", "Larsen", "Moreau", "Rossi", "Ivanova", "Sato",
)  # fmt: skip

CONTACT_TITLES: Final = (
    "Chief Technology Officer", "VP of Engineering", "Director of IT", "Head of Operations",
    "Procurement Manager", "IT Manager", "Operations Manager", "Chief Financial Officer",
    "Engineering Manager", "Product Manager", "Data Analyst", "Solutions Architect",
    "Head of Customer Experience", "Security Engineer", "Finance Director", "Platform Lead",
    "Systems Administrator", "Director of Procurement", "COO", "Business Analyst",
)  # fmt: skip

CONTRACT_TERMS: Final = (
    "99.9% uptime SLA with service credits",
    "99.5% uptime SLA",
    "Price cap 5% at renewal",
    "Price cap 3% at renewal",
    "Termination for convenience with 60 days notice",
    "Net 30 payment terms",
    "Net 45 payment terms",
    "Data residency: EU only",
    "Dedicated customer success manager",
    "Annual on-site training included",
    "Premium support with 1-hour P1 response",
)

WEBINARS: Final = (  # (title, days ago)
    ("Scaling Customer Ops with AI", 6),
    ("Q3 Product Roadmap Live", 20),
    ("Security & Compliance Deep Dive", 41),
)
