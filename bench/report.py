"""Printing figures and measuring DynamoDB cost from the emulator's recorded calls."""
from __future__ import annotations

import json
import math
from typing import Any

from devstack.emulator import Call


def emit(metric: str, value: float, unit: str, target: str | None = None, **context: Any) -> None:
    print(json.dumps({"metric": metric, "value": value, "unit": unit, "target": target, **context}), flush=True)


def attribute_size(value: dict[str, Any]) -> int:
    """DynamoDB's size rules for one typed value (AttributeValue JSON)."""
    (kind, raw), = value.items()
    if kind == "S":
        return len(raw.encode("utf-8"))
    if kind == "N":
        digits = raw.lstrip("-").replace(".", "").lstrip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return math.ceil(len(raw) * 3 / 4)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + attribute_size(v) + 1 for k, v in raw.items())
    if kind == "L":
        return 3 + sum(attribute_size(v) + 1 for v in raw)
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: v}) for v in raw)
    raise ValueError(kind)


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode("utf-8")) + attribute_size(value) for name, value in item.items())


def read_units(call: Call) -> float:
    """RCU as DynamoDB bills it: 4 KB blocks of what a read returns (half for eventually consistent)."""
    factor = 1.0 if call.request.get("ConsistentRead") else 0.5
    if call.operation == "GetItem":
        item = call.response.get("Item")
        return math.ceil(max(item_size(item), 1) / 4096) * factor if item else factor
    if call.operation == "Query":
        total = sum(item_size(i) for i in call.response.get("Items", []))
        return max(math.ceil(total / 4096), 1) * factor
    if call.operation == "TransactGetItems":
        return sum(2 * math.ceil(item_size(r.get("Item", {})) / 4096) for r in call.response.get("Responses", []))
    return 0.0


def write_units(call: Call) -> float:
    """WCU: 1 KB blocks per item written, doubled inside a transaction."""
    if call.operation == "TransactWriteItems":
        units = 0
        for entry in call.request["TransactItems"]:
            (kind, body), = entry.items()
            if kind == "ConditionCheck":
                units += 2  # a check is billed as a write of its item (approximated at 1 KB)
            else:
                units += 2 * math.ceil(max(item_size(body.get("Item", body.get("Key", {}))), 1) / 1024)
        return units
    if call.operation in ("PutItem", "UpdateItem", "DeleteItem"):
        body = call.request.get("Item") or call.request.get("Key", {})
        return math.ceil(max(item_size(body), 1) / 1024)
    return 0.0


def summarize(calls: list[Call]) -> dict[str, Any]:
    return {
        "requests": len(calls),
        "operations": [c.operation for c in calls],
        "rcu": sum(read_units(c) for c in calls),
        "wcu": sum(write_units(c) for c in calls),
    }
