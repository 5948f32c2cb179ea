"""Storage: the one place that knows Whoosh beyond its public API.

* ``patches``: timtin's changes to Whoosh (faster segment writing, zero-copy reads),
  installed by ``index.open_index`` after an exact-version check; ``uninstall()`` for baselines.
* ``internals``: every read of Whoosh's private state, behind named functions.
* ``termpool``: the posting pool and compact block format the patches write.
* ``index``: creating, opening and writing an index; ``merge``: merging segments;
  ``groups``: story groups found at indexing (same or nearly the same text);
  ``engine``: numpy views of an index for search.
* ``ondisk``: the on-disk contract, the module paths that every index pickles
  (``ondisk.ON_DISK_CONTRACT``).
"""
