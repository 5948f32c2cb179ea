"""Sharded indexes: N ordinary timtin indexes under one folder, searched as one.

Layout (``indexer.shard.manifest``)::

    DIR/timtin-shards.json   {"format": 1, "shards": N, "hash": "blake2b-8:utf8-id mod N"}
    DIR/shard-000/ … DIR/shard-{N-1:03d}/   each a plain timtin index

Final API (the ``cluster`` helper's Ray code builds on these names):

``indexer.shard.manifest``
    ``Manifest(shards, hash, format)``; ``shard_of(article_id, shards) -> int`` (BLAKE2b, 8-byte
    digest of the UTF-8 id, big-endian, mod N); ``read_manifest(dir) -> Manifest | None``;
    ``is_sharded(dir)``; ``shard_dirs(dir) -> list[Path]`` (``[dir]`` for a plain index);
    ``create_sharded(dir, shards) -> Manifest`` (refuses to change a shard count or to shard a
    plain index: ``ShardLayoutError``, a ``RuntimeError``).
``indexer.shard.write``
    ``write_sharded(dir, records, *, shards=None, commit_every, lock_timeout, procs, on_problem,
    on_record) -> IndexStats``; ``delete_sharded(dir, ids, lock_timeout) -> IndexStats``
    (only the owning shards are written).
``indexer.shard.dispatch``
    Plain or sharded alike: ``write_index``, ``delete_ids``, ``merge_index``,
    ``merge_in_background``, ``document_count``.
``indexer.shard.view``
    ``open_view(dir) -> IndexView``: one ``Snapshot`` per shard, ``generation`` (sum of the
    shards' generations: it grows with every commit), ``doc_count``, ``field_values(name)``,
    ``document(id)``.  What the assistants (did you mean, /suggest, related) and the web app read.
``indexer.shard.scatter`` (pure functions over ONE shard's ``Snapshot``; picklable in and out; no Ray)
    ``shard_stats(snap, req, rank) -> ShardStats`` (round 1: doc count, field-length totals,
    newest date, local document frequency of every term the query's scoring reads);
    ``merge_stats(parts) -> CorpusStats`` (sums; what BM25 and the recency preference use);
    ``shard_candidates(snap, req, rank, stats) -> ShardPart`` (round 2: the shard's top
    ``max(page*per_page, rerank_depth)`` by score or sort key with the title re-ranking bonus
    of its top ``rerank_depth``, total, facet counts of ALL values, and ``strict``: False when
    the shard had no article with all the words and returns the "relaxed" matches instead);
    ``shard_hits(snap, picks, req) -> list[Hit]`` (round 3: display and highlighting of
    ``[(docnum, score)]``).
``indexer.shard.coordinator``
    ``ShardClient`` (Protocol: ``stats(req, rank)``, ``candidates(req, rank, stats)``,
    ``hits(picks, req)``); ``LocalShard(snapshot)`` (in-process, one snapshot for every round of a
    query); ``search_sharded(req, clients, rank=None) -> SearchResult`` (``clients[i]`` serves shard
    i; a client that raises makes the result ``partial`` with ``missing_shards``; no shard answering
    raises ``ShardsUnavailable``, a RuntimeError).  ``indexer.search.search`` calls
    ``search_index(req, dir, rank)`` (``LocalShard`` clients) when given a sharded folder.

Hooks in ``indexer.search`` (the single-index path is unchanged when they are not used):
``CorpusStats(doc_count, avg_length, newest, df)``; ``bm25(..., stats=None)``,
``Scorer(snap, rank, stats=None)``, ``matching.match(snap, parsed, rank, stats=None)``;
``ranking.title_bonuses(snap, docs, words, rank)`` (``rerank_titles`` adds them);
``SearchResult.partial`` / ``missing_shards`` (in the JSON only when partial).
"""
