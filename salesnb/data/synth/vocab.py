"""What the synthetic company is made of: regions, industries, the catalogue, names.

Category and probability tables the builders draw from; the order of every tuple is part of
the data (an index into it is drawn), so changing one changes the generated sample.
"""

from __future__ import annotations

import numpy as np

REGIONS = ("North", "South", "East", "West", "Central")
REGION_P = np.array([0.22, 0.18, 0.26, 0.20, 0.14])
CITIES = (
    ("Minneapolis", "Milwaukee", "Detroit"),
    ("Atlanta", "Dallas", "Nashville", "Miami"),
    ("Boston", "New York", "Philadelphia"),
    ("Seattle", "San Francisco", "Denver", "Los Angeles"),
    ("Kansas City", "St. Louis", "Omaha"),
)
INDUSTRIES = (
    "Retail", "Manufacturing", "Healthcare", "Finance", "Education", "Technology", "Logistics",
)
INDUSTRY_P = np.array([0.18, 0.17, 0.13, 0.12, 0.10, 0.16, 0.14])
INDUSTRY_RATE = np.array([1.3, 1.15, 0.9, 0.85, 0.7, 1.1, 1.0])
SIZES = ("small", "medium", "large", "enterprise")
SIZE_P = np.array([0.50, 0.30, 0.15, 0.05])
SOURCES = ("market_research", "online", "referral", "event")
CREDIT = ("A", "B", "C", "D")
CREDIT_P = np.array([  # by size
    [0.20, 0.40, 0.27, 0.13],
    [0.30, 0.40, 0.20, 0.10],
    [0.40, 0.38, 0.15, 0.07],
    [0.50, 0.35, 0.10, 0.05],
])
CATEGORIES = ("Computers", "Networking", "Security", "Software", "Printing", "Accessories")
TIERS = ("budget", "standard", "premium")
LOST_REASONS = ("price", "competitor", "timing", "no_budget", "no_decision")
SERVICES = ("delivery", "installation", "support", "training")
COMPETITORS = ("Apex Systems", "BlueRiver Tech", "Cobalt Supply", "Delta Digital")

# name, category index, tier index, reference list price, base quantity per line
CATALOGUE: tuple[tuple[str, int, int, float, float], ...] = (
    ("Laptop Lite 13", 0, 0, 649.0, 3.0),
    ("Laptop Pro 14", 0, 1, 1299.0, 2.5),
    ("Laptop Ultra 16", 0, 2, 2399.0, 2.0),
    ("Desktop Basic", 0, 0, 549.0, 3.0),
    ("Desktop Workstation", 0, 2, 2899.0, 1.5),
    ("Thin Client T2", 0, 0, 349.0, 4.0),
    ("All-in-One 24", 0, 1, 1099.0, 2.0),
    ("Switch 8-Port", 1, 0, 89.0, 3.0),
    ("Switch 24-Port Managed", 1, 1, 749.0, 1.5),
    ("Core Switch 48X", 1, 2, 5900.0, 1.0),
    ("Wi-Fi Access Point AX", 1, 1, 329.0, 4.0),
    ("Wi-Fi Mesh Kit", 1, 0, 249.0, 2.0),
    ("Edge Router R5", 1, 1, 899.0, 1.2),
    ("SD-WAN Appliance", 1, 2, 4200.0, 1.0),
    ("Firewall F100", 2, 1, 1490.0, 1.0),
    ("Firewall F900", 2, 2, 8900.0, 1.0),
    ("Endpoint Protection (seat)", 2, 0, 45.0, 15.0),
    ("IP Camera 4K", 2, 1, 389.0, 4.0),
    ("Access Control Kit", 2, 2, 2600.0, 1.0),
    ("Security Audit Pack", 2, 1, 3500.0, 1.0),
    ("Office Suite (seat)", 3, 0, 120.0, 12.0),
    ("CRM Cloud (seat)", 3, 1, 540.0, 8.0),
    ("ERP Module", 3, 2, 9800.0, 1.0),
    ("Backup Cloud 1TB", 3, 0, 99.0, 5.0),
    ("Analytics Platform", 3, 2, 6400.0, 1.0),
    ("Collaboration Suite (seat)", 3, 1, 180.0, 10.0),
    ("Device Management (seat)", 3, 0, 36.0, 15.0),
    ("Laser Printer Mono", 4, 0, 279.0, 2.0),
    ("Color Laser MFP", 4, 1, 1190.0, 1.2),
    ("Production Printer", 4, 2, 14500.0, 1.0),
    ("Toner Pack", 4, 0, 119.0, 6.0),
    ("Label Printer", 4, 0, 199.0, 2.0),
    ("Wide-Format Plotter", 4, 2, 5200.0, 1.0),
    ("Wireless Mouse", 5, 0, 29.0, 10.0),
    ("Keyboard Pro", 5, 0, 79.0, 8.0),
    ("USB-C Dock", 5, 1, 219.0, 5.0),
    ("27in Monitor", 5, 1, 329.0, 4.0),
    ("4K Monitor 32in", 5, 2, 899.0, 3.0),
    ("Headset Noise-Cancel", 5, 1, 249.0, 5.0),
    ("Laptop Backpack", 5, 0, 59.0, 6.0),
)

# preference of each industry for each category (rows: industries, cols: categories)
INDUSTRY_CAT = np.array([
    [1.0, 0.8, 1.4, 0.9, 1.3, 1.4],  # Retail
    [1.1, 1.2, 1.0, 0.8, 1.4, 0.8],  # Manufacturing
    [1.0, 0.9, 1.5, 1.2, 1.1, 0.8],  # Healthcare
    [1.2, 1.0, 1.6, 1.4, 0.8, 0.9],  # Finance
    [1.5, 1.1, 0.7, 1.1, 1.0, 1.2],  # Education
    [1.4, 1.5, 1.1, 1.6, 0.5, 1.0],  # Technology
    [0.9, 1.3, 1.0, 0.9, 1.5, 0.9],  # Logistics
])
REGION_CAT = np.array([
    [1.1, 1.0, 0.9, 1.0, 1.2, 1.0],  # North
    [1.0, 0.9, 1.2, 0.8, 1.1, 1.2],  # South
    [1.0, 1.1, 1.1, 1.3, 0.8, 0.9],  # East
    [1.2, 1.3, 0.9, 1.2, 0.7, 1.0],  # West
    [0.9, 0.8, 1.0, 0.8, 1.4, 1.1],  # Central
])
SIZE_TIER = np.array([  # preference of each size for each tier
    [1.6, 1.0, 0.35],
    [1.1, 1.2, 0.7],
    [0.8, 1.1, 1.2],
    [0.6, 1.0, 1.6],
])

FIRST = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
    "Sarah", "Carlos", "Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Sandra",
    "Mark", "Ashley", "Kevin", "Emily", "Brian", "Michelle", "Omar", "Aisha", "Wei", "Mei",
    "Raj", "Priya", "Diego", "Sofia", "Lukas", "Ingrid", "Kenji", "Yuki", "Samuel", "Grace",
)
LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Chen",
    "Patel", "Kim", "Novak", "Schmidt", "Rossi",
)
CO_PREFIX = (
    "North", "Blue", "Summit", "Silver", "Granite", "Pioneer", "Evergreen", "Harbor", "Iron",
    "Golden", "Prairie", "Redwood", "Crescent", "Atlas", "Beacon", "Cedar", "Keystone",
    "Lakeside", "Maple", "Orion", "Pinnacle", "Riverside", "Sterling", "Sunrise", "Vertex",
    "Westfield", "Bright", "Coastal", "Eagle", "Falcon", "Liberty", "Metro", "Oak", "Union",
)
CO_CORE = {
    "Retail": ("Outfitters", "Markets", "Home Goods", "Boutiques", "Grocers", "Apparel"),
    "Manufacturing": ("Fabrication", "Components", "Machining", "Plastics", "Tooling",
                      "Industries"),
    "Healthcare": ("Health", "Medical", "Clinics", "Care", "Dental", "Diagnostics"),
    "Finance": ("Capital", "Financial", "Insurance", "Credit Union", "Advisors", "Bancorp"),
    "Education": ("Academy", "Learning", "School District", "College", "Institute",
                  "Tutoring"),
    "Technology": ("Software", "Labs", "Data", "Networks", "Digital", "Systems"),
    "Logistics": ("Logistics", "Freight", "Transport", "Shipping", "Warehousing", "Express"),
}
CO_SUFFIX = ("Inc", "LLC", "Co", "Group", "Partners", "Ltd", "Corp", "")
