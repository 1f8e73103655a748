"""Many digests in parallel over the archive: a local process pool, or Ray actors on a cluster.

    from matome.batch import plan, run
    job = plan(store, only_stale=False, limit=None)      # which articles, with their sizes
    summary = run(store.url, job, workers=2)               # or ray="local" / "ray://head:10001"

Each worker opens the archive itself, loads the digest pipeline once and, per article, runs
``Store.redigest_one`` (the same code as ``matome redigest``): read the entry, digest it,
upsert the digest keyed by article. A job is resumable because ``plan`` picks only the
articles without a current digest (engine version, settings and entry as stored now).
"""

from matome.batch.plan import Job, plan
from matome.batch.run import BatchError, Outcome, Summary, run

__all__ = ["BatchError", "Job", "Outcome", "Summary", "plan", "run"]
