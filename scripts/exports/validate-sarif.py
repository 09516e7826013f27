#!/usr/bin/env python3
"""Validate SARIF files against the SARIF 2.1.0 JSON schema (python3-jsonschema, the validator
the schema's $schema names, with format checks), then the rules GitHub code scanning adds that
no schema states: security-severity is a string, every rule has help text, descriptions are
at most 1024 characters, a result has at most 10 locations and each has a line.
Usage: validate-sarif.py SCHEMA FILE...   Exit 1 (and every problem on stderr) if one fails."""
import json
import sys

import jsonschema


def github_problems(log):
    for run in log.get("runs", []):
        for rule in run["tool"]["driver"].get("rules", []):
            sev = rule.get("properties", {}).get("security-severity")
            if sev is not None and not isinstance(sev, str):
                yield f"rule {rule['id']}: security-severity is not a string"
            if not rule.get("help", {}).get("text"):
                yield f"rule {rule['id']}: no help text"
            for key in ("shortDescription", "fullDescription"):
                if len(rule.get(key, {}).get("text", "")) > 1024:
                    yield f"rule {rule['id']}: {key} longer than 1024 characters"
        for i, res in enumerate(run.get("results", [])):
            locs = res.get("locations", [])
            if len(locs) > 10:
                yield f"result {i}: more than 10 locations"
            for loc in locs:
                uri = loc["physicalLocation"]["artifactLocation"]["uri"]
                if uri.endswith(("config", ".config")) and "region" not in loc["physicalLocation"]:
                    yield f"result {i}: config location without a line"


def main():
    schema = json.load(open(sys.argv[1]))
    cls = jsonschema.validators.validator_for(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    failed = False
    for path in sys.argv[2:]:
        log = json.load(open(path))
        problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(log)]
        problems += list(github_problems(log))
        for p in problems:
            print(f"{path}: {p}", file=sys.stderr)
        failed |= bool(problems)
    sys.exit(1 if failed else 0)


main()
