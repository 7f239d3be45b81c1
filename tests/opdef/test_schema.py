"""The published JSON Schema is current and accepts every bundled opdef."""

from __future__ import annotations

import json

import jsonschema
import yaml

from dsaops import resources
from dsaops.opdef.schema import opdef_schema, opdef_schema_text


def test_published_schema_is_current():
    published = resources.opdefs_dir() / "opdef.schema.json"
    assert published.read_text() == opdef_schema_text(), "run: dsaops schema --out opdefs/opdef.schema.json"


def test_bundled_opdefs_validate_against_schema():
    schema = opdef_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in sorted(resources.opdefs_dir().glob("*.yaml")):
        errors = [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text()))]
        assert not errors, f"{path.name}: {errors}"


def test_schema_rejects_unknown_keys(tiny_text):
    validator = jsonschema.Draft202012Validator(opdef_schema())
    data = yaml.safe_load(tiny_text)
    assert not list(validator.iter_errors(data))
    data["inputs"][0]["optinal"] = True
    assert any("optinal" in e.message for e in validator.iter_errors(data))
    assert json.loads(opdef_schema_text())["required"][:2] == ["name", "op_type"]
