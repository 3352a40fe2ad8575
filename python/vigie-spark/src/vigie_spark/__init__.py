"""vigie on Apache Spark: ``vigie-spark scan PATH... --case DIR [--master URL]``.

Stage one (parse, stateless rules, what correlations and analytics need)
runs in ``mapInArrow`` over the inputs cut into units of work; stage two
(correlations, analytics, mail findings) runs per case in
``groupBy("key").applyInArrow``; the driver writes the same case folder as
``vigie scan``. Both stages are vigie's own Rust code (``vigie_spark._native``),
fed Arrow record batches without a copy.
"""

from vigie_spark.job import scan

__all__ = ["scan"]
