#!/usr/bin/env python3
"""Refresh Gureum's price catalogue from AWS's public Price List offer files.

    scripts/refresh_prices.py [--region us-east-1] [--out crates/gureum-billing/data/prices-us-east-1.json]

For every product already in the catalogue (service code, usage type,
operation) it streams the service's regional offer file in CSV form

    https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/<Service>/current/<region>/index.csv

and takes the on-demand price of the matching row (shared tenancy, capacity
"Used", no pre-installed software, the first tier of tiered prices). The
products, units, descriptions and Free Tier allowances stay as they are;
prices, descriptions AWS changed and `as_of` are rewritten. A product the
offer file no longer has is kept with its old price and reported.

Needs the network (the EC2 file is several hundred MB, read as a stream);
the build never runs it: the catalogue is a checked-in, dated data file.
"""
import argparse
import csv
import datetime
import io
import json
import pathlib
import sys
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[1]
BASE = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws"


def offer_rows(service, region):
    """Yields the offer file's rows as dicts (header after 5 metadata lines)."""
    url = f"{BASE}/{service}/current/{region}/index.csv"
    with urllib.request.urlopen(url, timeout=120) as r:
        text = io.TextIOWrapper(r, encoding="utf-8", newline="")
        for _ in range(5):
            text.readline()
        yield from csv.DictReader(text)


def preferred(row):
    """Whether a row is the plain on-demand price Gureum charges."""
    if row.get("TermType") != "OnDemand":
        return False
    if row.get("CapacityStatus", "Used") not in ("Used", ""):
        return False
    if row.get("Tenancy", "Shared") not in ("Shared", ""):
        return False
    if row.get("Pre Installed S/W", "NA") not in ("NA", ""):
        return False
    return row.get("StartingRange", "0") in ("0", "")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--out", default=str(REPO / "crates/gureum-billing/data/prices-us-east-1.json"))
    args = ap.parse_args()
    path = pathlib.Path(args.out)
    catalogue = json.loads(path.read_text())
    wanted = {}
    for p in catalogue["products"]:
        wanted.setdefault(p["service"], {})[(p["usage_type"], p["operation"])] = p
    missing = []
    for service, products in sorted(wanted.items()):
        print(f"reading {service} {args.region} …", file=sys.stderr)
        found = set()
        for row in offer_rows(service, args.region):
            key = (row.get("usageType", ""), row.get("operation", ""))
            if key not in products or key in found or not preferred(row):
                continue
            p = products[key]
            p["price"] = row["PricePerUnit"].rstrip("0").rstrip(".") or "0"
            p["unit"] = row.get("Unit") or p["unit"]
            p["description"] = row.get("PriceDescription") or p["description"]
            found.add(key)
            if len(found) == len(products):
                break
        missing += [f"{service} {u} {o}" for (u, o) in products if (u, o) not in found]
    catalogue["as_of"] = datetime.date.today().isoformat()
    catalogue["region"] = args.region
    path.write_text(json.dumps(catalogue, indent=1) + "\n")
    print(f"wrote {path} ({len(catalogue['products'])} products)", file=sys.stderr)
    for m in missing:
        print(f"not in the offer file, kept as it was: {m}", file=sys.stderr)


if __name__ == "__main__":
    main()
