"""Department data feeds (部门数据归集): declare with :class:`FeedSpec`, import with :func:`import_feed`.

A plugin declares its feeds through the ``zhushida_feeds`` hook; ``zhushida feeds import PLUGIN
FEED FILE`` and the ``feeds.import`` task stream a CSV / JSON-lines file into the feed's model.
"""

from core.feeds.spec import FORMATS, FeedField, FeedSpec, RowRejected

__all__ = ["FORMATS", "FeedField", "FeedSpec", "RowRejected"]
