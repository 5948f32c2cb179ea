"""Input: files (and HTTP request bodies, ``sources.read_body``) to ``Article`` records or ``FILE:LINE``
problems (``sources``), drop folders (``watch``).

``sources.FORMATS`` is the one table of input formats.  May import ``indexer.models``,
``indexer.text`` and, for ``watch``, the writers of ``indexer.shard.dispatch`` and ``indexer.store``.
"""
