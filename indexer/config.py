"""Settings shared by every layer: the default index folder and Vietnam's time zone."""

from __future__ import annotations

import os
from datetime import timedelta, timezone

VN_TZ = timezone(timedelta(hours=7))  # Vietnam time (UTC+7, no daylight saving): naive times mean this
FALLBACK_INDEX_DIR = "var/index"


def default_index_dir() -> str:
    """The index folder when none is given: ``$TIMTIN_INDEX``, else ``var/index``."""
    return os.environ.get("TIMTIN_INDEX", FALLBACK_INDEX_DIR)
