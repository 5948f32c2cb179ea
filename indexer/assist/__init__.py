"""What timtin learns from the index itself, cached per index generation (``cache.IndexCache``).

``diacritics`` ("Có phải bạn muốn tìm …": restores diacritics of a folded query), ``suggest``
(autocomplete from headlines), ``related`` ("Tin liên quan"), with ``ngrams`` (word encoding and
sorted n-gram lookup shared by the first two).  May import ``indexer.analysis``, ``indexer.text``,
``indexer.store``, ``indexer.shard`` and ``indexer.search`` (BM25); never the web app.
"""
