"""The feeds every enabled plugin declares through ``zhushida_feeds``, by (plugin, feed name)."""

from __future__ import annotations

from core.feeds.spec import FeedSpec


def all_feeds(host=None) -> dict[tuple[str, str], FeedSpec]:
    from core.plugins.host import get_host

    host = host or get_host()
    found: dict[tuple[str, str], FeedSpec] = {}
    for plugin, spec in host.collect("zhushida_feeds"):
        if not isinstance(spec, FeedSpec):
            raise TypeError(f"plugin {plugin!r} returned {type(spec).__name__} from zhushida_feeds, not FeedSpec")
        if (plugin, spec.name) in found:
            raise ValueError(f"plugin {plugin!r} declares feed {spec.name!r} twice")
        found[(plugin, spec.name)] = spec
    return found


def get_feed(plugin: str, name: str, host=None) -> FeedSpec:
    feeds = all_feeds(host)
    try:
        return feeds[(plugin, name)]
    except KeyError:
        known = ", ".join(f"{p} {n}" for p, n in sorted(feeds)) or "none"
        raise LookupError(f"no feed {name!r} in plugin {plugin!r} (known: {known})") from None
