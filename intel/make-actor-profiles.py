#!/usr/bin/env python3
"""Re-makes intel/actors.json, vigie's actor profiles, from the MISP galaxy
clusters that the PyPI package `pymispgalaxies` ships:

  mitre-intrusion-set.json   ATT&CK groups: name, G-id, synonyms, techniques used
  mitre-attack-pattern.json  to resolve those techniques to their T-ids
  threat-actor.json          more aliases, suspected country, sponsor, motive

    python3 -m pip install pymispgalaxies==1.1.1
    python3 intel/make-actor-profiles.py > intel/actors.json

The package's version and each cluster's version are recorded in the output.
The webmail behaviours ATT&CK does not list yet are a curated supplement kept
by hand beside it (intel/webmail-supplement.json).
"""

import json
import sys
from importlib import metadata, resources


def load(name):
    base = resources.files("pymispgalaxies") / "data" / "misp-galaxy" / "clusters"
    return json.loads((base / f"{name}.json").read_text(encoding="utf-8"))


def main():
    sets = load("mitre-intrusion-set")
    patterns = load("mitre-attack-pattern")
    actors = load("threat-actor")

    technique = {p["uuid"]: p["meta"].get("external_id") for p in patterns["values"]}
    by_alias = {}
    for a in actors["values"]:
        for alias in [a["value"], *a.get("meta", {}).get("synonyms", [])]:
            by_alias.setdefault(alias.casefold(), a)

    profiles = []
    for s in sets["values"]:
        name = s["value"].rsplit(" - ", 1)[0]
        meta = s.get("meta", {})
        aliases = {name, *meta.get("synonyms", [])}
        actor = next(
            (by_alias[a.casefold()] for a in sorted(aliases) if a.casefold() in by_alias),
            None,
        )
        ameta = actor.get("meta", {}) if actor else {}
        if actor:
            aliases |= {actor["value"], *ameta.get("synonyms", [])}
        techniques = sorted(
            {
                technique[r["dest-uuid"]]
                for r in s.get("related", [])
                if r.get("type") == "uses" and technique.get(r["dest-uuid"], "").startswith("T")
            }
        )
        if not techniques:
            continue
        motive = ameta.get("cfr-type-of-incident")
        profiles.append(
            {
                "name": name,
                "attack_id": meta.get("external_id"),
                "aliases": sorted(aliases - {name}, key=str.casefold),
                "country": ameta.get("country"),
                "sponsor": ameta.get("cfr-suspected-state-sponsor"),
                "motive": motive if isinstance(motive, str) else None,
                "techniques": techniques,
            }
        )
    profiles.sort(key=lambda p: p["name"].casefold())
    out = {
        "generated_by": "intel/make-actor-profiles.py",
        "source": {
            "package": "pymispgalaxies",
            "version": metadata.version("pymispgalaxies"),
            "clusters": {
                "mitre-intrusion-set": sets["version"],
                "mitre-attack-pattern": patterns["version"],
                "threat-actor": actors["version"],
            },
        },
        "actors": profiles,
    }
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
