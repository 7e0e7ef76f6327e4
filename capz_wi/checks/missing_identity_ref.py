"""An AzureCluster or AzureManagedControlPlane has no ``identityRef``.

Since CAPZ v1.11 the AzureCluster webhook refuses a cluster without one ("identityRef is required"; the
environment-variable credential fallback was removed), and the AzureManagedControlPlane CRD requires it. Templates
(AzureClusterTemplate, AzureManagedControlPlaneTemplate) are not validated by CAPZ and are not reported.

Triggers::

    kind: AzureCluster
    metadata: {name: my-cluster, namespace: default}
    spec:
      location: eastus

Fix: add ``identityRef: {apiVersion: infrastructure.cluster.x-k8s.io/v1beta1, kind: AzureClusterIdentity, name: <identity>}``.
"""

from __future__ import annotations

from capz_wi._document import INFRA_GROUP, Resource
from capz_wi.checks._base import CheckContext, Findings, Match, finding

ID = "missing-identity-ref"
CODE = "CWI015"
SEVERITY = "error"
HINT = "add spec.identityRef naming the AzureClusterIdentity (kind: AzureClusterIdentity, name, namespace)"
MATCH = Match(INFRA_GROUP, ("AzureCluster", "AzureManagedControlPlane"))


def check(res: Resource, ctx: CheckContext) -> Findings:
    if res.value("spec", "identityRef", "name") is None:
        yield finding(res, ("spec", "identityRef"), f"{res.kind} has no identityRef; CAPZ requires one")
