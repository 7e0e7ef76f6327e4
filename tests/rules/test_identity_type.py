from __future__ import annotations

from tests.rules.common import check

SRC = """\
apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: AzureClusterIdentity
metadata:
  name: id
spec:
  allowedNamespaces: {{}}
  type: {t}
"""


def test_placeholder_type_becomes_literal() -> None:
    result = check(SRC.format(t="${CLUSTER_IDENTITY_TYPE:=ServicePrincipal}"), SRC.format(t="WorkloadIdentity"))
    assert result.warnings and "immutable" in result.warnings[0].message


def test_quoted_type_keeps_its_quotes() -> None:
    check(SRC.format(t='"UserAssignedMSI"'), SRC.format(t='"WorkloadIdentity"'))


def test_workload_identity_is_left_alone() -> None:
    result = check(SRC.format(t="WorkloadIdentity"), SRC.format(t="WorkloadIdentity"))
    assert result.findings == []
