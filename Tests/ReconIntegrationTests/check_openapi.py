"""Checks answers against openapi.yaml (used by OpenAPITests.swift).

  check_openapi.py routes DOC            -> prints [[METHOD, PATH], ...] of the document
  check_openapi.py check DOC < OBS.json  -> validates observed answers; prints problems, exit 1 if any
"""
import json
import sys

import yaml
from jsonschema import Draft202012Validator


def resolve(doc, node):
    while isinstance(node, dict) and "$ref" in node and len(node) == 1:
        parts = node["$ref"].lstrip("#/").split("/")
        node = doc
        for part in parts:
            node = node[part]
    return node


def main():
    mode, path = sys.argv[1], sys.argv[2]
    doc = yaml.safe_load(open(path))
    if doc.get("openapi", "").split(".")[:2] != ["3", "1"]:
        print("not an OpenAPI 3.1 document")
        sys.exit(1)
    if mode == "routes":
        print(json.dumps(sorted([m.upper(), p] for p, ops in doc["paths"].items() for m in ops)))
        return
    problems = []
    for obs in json.load(sys.stdin):
        where = f'{obs["method"]} {obs["path"]} -> {obs["status"]}'
        op = doc["paths"].get(obs["path"], {}).get(obs["method"].lower())
        if op is None:
            problems.append(f"{where}: not documented")
            continue
        response = op.get("responses", {}).get(str(obs["status"]))
        if response is None:
            problems.append(f"{where}: status not documented")
            continue
        response = resolve(doc, response)
        content = response.get("content", {})
        if "application/json" in content:
            try:
                body = json.loads(obs["body"])
            except ValueError:
                problems.append(f"{where}: body is not JSON: {obs['body'][:80]!r}")
                continue
            schema = dict(resolve(doc, content["application/json"].get("schema", {})))
            schema["components"] = doc["components"]
            errors = list(Draft202012Validator(schema).iter_errors(body))
            for error in errors[:3]:
                problems.append(f"{where}: {error.message[:160]}")
    for problem in problems:
        print(problem)
    sys.exit(1 if problems else 0)


main()
