"""The derived tables with Spark SQL, over the whole database.

spam_sources, forgery_by_domain and daily, with the definitions of
mailidx's own (src/store/derived.rs; schemas/*.json), computed from
DB/tables/messages. spark/ingest.py writes them to DB/spark-derived/NAME/
after every run, for analysts who work in Spark; mailidx keeps its own
copies in DB/tables (the test tests/it/spark.rs checks both hold the same
rows). threads are not here: a thread's tree (JWZ's algorithm) is not an
aggregate, and `mailidx merge` computes threads over the whole database.
"""

from pyspark.sql import functions as F

FORGED_SCORE = 3  # src/store/derived.rs FORGED_SCORE


def count(cond):
    """How many rows the condition holds for (0, never null), as polars' sum of a boolean."""
    return F.coalesce(F.sum(cond.cast("int")), F.lit(0)).cast("int")


def share(c):
    return F.coalesce(F.avg(F.col(c).cast("double")), F.lit(0.0))


def spam_sources(m):
    kinds = [("ip", "origin_ip"), ("net", "origin_net"), ("rdns_org", "origin_rdns_org"), ("helo", "origin_helo"), ("asn", "origin_asn"), ("country", "origin_country")]
    parts = []
    for kind, c in kinds:
        rows = m.filter(F.col(c).isNotNull())
        if kind == "helo":
            rows = rows.filter(~F.col("origin_helo_forged_provider"))
        parts.append(rows.select(F.lit(kind).alias("kind"), F.col(c).cast("string").alias("source"), "label", "date", "spf_fail", "dkim_fail", "dmarc_fail", "origin_rdns_dynamic", "from_domain"))
    allrows = parts[0]
    for p in parts[1:]:
        allrows = allrows.unionByName(p)
    agg = allrows.groupBy("kind", "source").agg(
        F.count(F.lit(1)).cast("int").alias("messages"),
        count(F.col("label") == "spam").alias("spam_messages"),
        F.min("date").alias("first_seen"),
        F.max("date").alias("last_seen"),
        share("spf_fail").alias("spf_fail_share"),
        share("dkim_fail").alias("dkim_fail_share"),
        share("dmarc_fail").alias("dmarc_fail_share"),
        share("origin_rdns_dynamic").alias("dynamic_share"),
    )
    per_domain = allrows.filter(F.col("from_domain").isNotNull()).groupBy("kind", "source", "from_domain").agg(F.count(F.lit(1)).alias("n"))
    tops = per_domain.groupBy("kind", "source").agg(
        F.slice(F.transform(F.array_sort(F.collect_list(F.struct((-F.col("n")).alias("neg"), F.col("from_domain").alias("d")))), lambda s: s["d"]), 1, 5).alias("top_from_domains")
    )
    return agg.join(tops, ["kind", "source"], "left").select(
        "kind", "source", "messages", "spam_messages", "first_seen", "last_seen", "spf_fail_share", "dkim_fail_share", "dmarc_fail_share", "dynamic_share", "top_from_domains"
    )


def forgery_by_domain(m):
    passed = lambda c: F.coalesce(F.col(c) == "pass", F.lit(False))
    return m.filter(F.col("from_org_domain").isNotNull()).groupBy(F.col("from_org_domain").alias("domain")).agg(
        F.count(F.lit(1)).cast("int").alias("messages"),
        count(F.col("forgery_score") >= FORGED_SCORE).alias("forged_messages"),
        count(F.col("label") == "spam").alias("spam_messages"),
        count(passed("spf_result")).alias("spf_pass"),
        count(F.col("spf_fail")).alias("spf_fail"),
        count(passed("dkim_result")).alias("dkim_pass"),
        count(F.col("dkim_fail")).alias("dkim_fail"),
        count(passed("dmarc_result") | (F.col("dmarc_computed") == "pass")).alias("dmarc_pass"),
        count(F.col("dmarc_fail")).alias("dmarc_fail"),
        share("spf_aligned_relaxed").alias("spf_aligned_share"),
        share("dkim_aligned_relaxed").alias("dkim_aligned_share"),
        count(F.col("from_return_path_mismatch")).alias("return_path_mismatches"),
        count(F.col("reply_to_mismatch")).alias("reply_to_mismatches"),
        count(F.col("display_name_spoof")).alias("display_name_spoofs"),
        F.countDistinct("origin_ip").cast("int").alias("origins"),
        F.avg(F.col("forgery_score").cast("double")).alias("mean_forgery_score"),
        F.min("date").alias("first_seen"),
        F.max("date").alias("last_seen"),
    )


def daily(m):
    return m.filter(F.col("date").isNotNull()).groupBy(F.to_date(F.col("date")).alias("day"), "label").agg(
        F.count(F.lit(1)).cast("int").alias("messages"),
        count(F.col("spf_fail")).alias("spf_fail"),
        count(F.col("dkim_fail")).alias("dkim_fail"),
        count(F.col("dmarc_fail")).alias("dmarc_fail"),
        count(F.col("spf_fail") | F.col("dkim_fail") | F.col("dmarc_fail")).alias("auth_failures"),
        F.median(F.col("transit_seconds").cast("double")).alias("median_transit_seconds"),
    )


TABLES = {"spam_sources": spam_sources, "forgery_by_domain": forgery_by_domain, "daily": daily}


def write_all(spark, db, out):
    """Computes every table from DB's committed messages into OUT/NAME/."""
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    # Timestamps as mailidx writes them (milliseconds), and dates before
    # 1582 (mail can be dated year 0) read and written as they are.
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MILLIS")
    for mode in ["spark.sql.parquet.datetimeRebaseModeInRead", "spark.sql.parquet.datetimeRebaseModeInWrite", "spark.sql.parquet.int96RebaseModeInWrite"]:
        spark.conf.set(mode, "CORRECTED")
    messages = spark.read.parquet(f"{db}/tables/messages")
    for name, fn in TABLES.items():
        fn(messages).write.mode("overwrite").parquet(f"{out}/{name}")
