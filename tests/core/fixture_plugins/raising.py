"""A per-request hook that raises."""

from core.hooks import hookimpl

ZHUSHIDA_CONTRACT = "1"


@hookimpl
def zhushida_home_widgets(user):
    raise ValueError("widget data missing")
