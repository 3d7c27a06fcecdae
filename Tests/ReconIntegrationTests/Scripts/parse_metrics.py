"""Parses a Prometheus text exposition with prometheus_client's own parser; prints families as JSON."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

families = {}
for family in text_string_to_metric_families(open(sys.argv[1], encoding="utf-8").read()):
    families[family.name] = {
        "type": family.type,
        "help": family.documentation,
        "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in family.samples],
    }
json.dump(families, sys.stdout, sort_keys=True)
