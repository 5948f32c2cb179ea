"""Joining a Ray cluster as a driver."""

from __future__ import annotations

import os

NAMESPACE = "timtin"


class ClusterUnavailable(RuntimeError):
    """Ray is not installed, or the cluster cannot be reached."""


def require_ray():
    """The ``ray`` module, or a clear error naming the extra to install."""
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ClusterUnavailable("--cluster needs Ray: pip install 'timtin[cluster]'") from exc
    return ray


def connect(address: str) -> None:
    """Connect this process to the running cluster at ``address`` (host:port of the head node).

    Worker nodes import timtin themselves (it must be installed on every node, at the same
    version); this driver's ``PYTHONPATH`` is passed to the workers it starts.
    """
    ray = require_ray()
    if ray.is_initialized():
        return
    env = {"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {}
    try:
        ray.init(address=address, namespace=NAMESPACE, log_to_driver=False, configure_logging=False,
                 runtime_env={"env_vars": env} if env else None)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ClusterUnavailable(f"cannot join the Ray cluster at {address}: {exc}") from exc


def alive_nodes() -> list[str]:
    """Node ids of the cluster's live nodes, in a stable order."""
    ray = require_ray()
    return sorted(n["NodeID"] for n in ray.nodes() if n.get("Alive"))
