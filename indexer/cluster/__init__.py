"""timtin on a Ray cluster: indexing and serving a sharded index (``indexer.shard``) over many nodes.

Ray supplies membership, scheduling, failure detection, actor restarts and data transfer;
this package supplies only what is specific to search:

``indexer.cluster.runtime``
    ``connect(address)``: join a running cluster as a driver (``ray.init``), with a clear error
    when ``timtin[cluster]`` is not installed; ``alive_nodes()``.
``indexer.cluster.indexing``
    ``index_on_cluster(index_dir, records, shards)``: batches of articles analysed by Ray tasks on
    any node's CPU (each task writes a small ordinary segment with the usual writer), folded into
    each shard by that shard's one writer actor (delete older versions of the ids, add the segment,
    commit atomically).
``indexer.cluster.serving``
    ``ShardSearcher`` actors (R replicas of every shard, spread over the nodes, restarted by Ray),
    ``ClusterSearch`` (``search(req)`` through ``indexer.shard.coordinator.search_sharded`` with one
    replica of every shard per query, time-outs and retry on another replica; ``health()``).

The ``ray`` import happens only inside this package, so timtin works without the extra.
"""
