"""Parses FHIR JSON documents as R4B Bundles with fhir.resources (PyPI), a
FHIR implementation Inkan did not write: unknown elements, wrong types and
malformed primitives are errors there. Usage: fhir_check.py FILE...
"""
import sys

from fhir.resources.R4B.bundle import Bundle

failed = 0
for path in sys.argv[1:]:
    try:
        with open(path, "rb") as f:
            bundle = Bundle.model_validate_json(f.read())
        kinds = [e.resource.get_resource_type() for e in bundle.entry or []]
        print(f"ok  {path}: {bundle.type} Bundle, {len(kinds)} entries ({', '.join(sorted(set(kinds)))})")
    except Exception as e:  # pydantic's ValidationError and I/O errors alike
        failed += 1
        print(f"FAIL {path}: {e}", file=sys.stderr)
sys.exit(1 if failed else 0)
