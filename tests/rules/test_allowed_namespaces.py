from __future__ import annotations

from tests.rules.common import check

IDENT = """\
apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: AzureClusterIdentity
metadata:
  name: id
  namespace: {ns}
spec:
  type: WorkloadIdentity
{an}"""
CLUSTER = """\
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: AzureCluster
metadata:
  name: c
  namespace: team-a
spec:
  identityRef:
    name: id
    namespace: ops
"""


def test_absent_becomes_list_of_referencing_namespaces() -> None:
    src = IDENT.format(ns="ops", an="") + CLUSTER
    check(src, IDENT.format(ns="ops", an="  allowedNamespaces:\n    list:\n    - team-a\n") + CLUSTER)


def test_null_without_referrer_admits_own_namespace() -> None:
    check(IDENT.format(ns="ops", an="  allowedNamespaces: null\n"), IDENT.format(ns="ops", an="  allowedNamespaces:\n    list:\n    - ops\n"))


def test_empty_mapping_admits_all_and_is_left_alone() -> None:
    src = IDENT.format(ns="ops", an="  allowedNamespaces: {}\n") + CLUSTER
    result = check(src, src)
    assert result.changes == []


def test_list_is_widened_never_narrowed() -> None:
    src = IDENT.format(ns="ops", an="  allowedNamespaces:\n    list:\n    - team-z\n") + CLUSTER
    check(src, IDENT.format(ns="ops", an="  allowedNamespaces:\n    list:\n    - team-z\n    - team-a\n") + CLUSTER)


def test_empty_list_blocks_all_so_it_is_filled() -> None:
    src = IDENT.format(ns="ops", an="  allowedNamespaces:\n    list: []\n") + CLUSTER
    check(src, IDENT.format(ns="ops", an="  allowedNamespaces:\n    list:\n    - team-a\n") + CLUSTER)


def test_selector_is_kept_and_list_added_beside_it() -> None:
    sel = "  allowedNamespaces:\n    selector:\n      matchLabels:\n        capz: ok\n"
    src = IDENT.format(ns="ops", an=sel) + CLUSTER
    check(src, IDENT.format(ns="ops", an=sel + "    list:\n    - team-a\n") + CLUSTER)
