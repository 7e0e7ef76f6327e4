from __future__ import annotations

import capz_wi
from tests.conftest import IDENTITY
from tests.rules.common import check, run

SRC = """\
apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: AzureClusterIdentity
metadata:
  name: id
  namespace: ns
spec:
  allowedNamespaces: {}
  clientSecret:
    name: sp
  type: WorkloadIdentity
---
apiVersion: v1
kind: Secret
metadata:
  name: sp
  namespace: ns
stringData:
  clientSecret: MARKER-VALUE-123
"""


def test_secret_reported_not_removed_by_default() -> None:
    result = run(SRC)
    assert "clientSecret:\n    name: sp" not in result.text and "MARKER-VALUE-123" in result.text
    msgs = [f.message for f in result.warnings]
    assert any(str(f.object) == "Secret ns/sp" and "only backed the removed clientSecret of AzureClusterIdentity ns/id" in f.message for f in result.warnings)
    assert not any("MARKER" in str(x) for x in [*msgs, *result.changes])


def test_prune_secret_removes_the_document() -> None:
    result = check(
        SRC,
        "apiVersion: infrastructure.cluster.x-k8s.io/v1beta1\nkind: AzureClusterIdentity\nmetadata:\n  name: id\n"
        "  namespace: ns\nspec:\n  allowedNamespaces: {}\n  type: WorkloadIdentity\n",
        capz_wi.Options(identity_id=IDENTITY, prune_secret=True),
    )
    assert [str(r) for r in result.removed] == ["Secret ns/sp"]
