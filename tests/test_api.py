"""The public API: exports, typing marker, no typer on the library path, dict variant."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import capz_wi
from tests.conftest import FIXTURES, IDENTITY


def test_every_public_name_is_exported_and_documented() -> None:
    public = {n for n in dir(capz_wi) if not n.startswith("_")} - {"annotations"}
    assert public <= set(capz_wi.__all__) | {"cli", "rules", "krm", "quickstart", "checks"}
    assert list(capz_wi.__all__) == sorted(capz_wi.__all__)
    for name in capz_wi.__all__:
        obj = getattr(capz_wi, name)
        if not isinstance(obj, str):
            assert obj.__doc__, name


def test_py_typed_is_shipped() -> None:
    assert (Path(capz_wi.__file__).parent / "py.typed").exists()


def test_library_does_not_import_typer() -> None:
    code = "import sys, capz_wi; capz_wi.transform('apiVersion: v1\\nkind: ConfigMap\\n'); print('typer' in sys.modules, 'click' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False False"


def test_transform_objects_matches_text_transform() -> None:
    from ruamel.yaml import YAML

    y = YAML(typ="safe", pure=True)
    opts = capz_wi.Options(identity_id=IDENTITY)
    src = (FIXTURES / "quickstart-default" / "input.yaml").read_text()
    objects = list(y.load_all(src))
    out, result = capz_wi.transform_objects(objects, opts)
    expected = list(y.load_all(capz_wi.transform(src, opts).text))
    assert out == expected
    assert len(result.changes) == 6
    assert objects[6]["spec"]["type"] == "ServicePrincipal", "input dicts are not mutated"
