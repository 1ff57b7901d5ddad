-- When the loading transaction began (now() is the transaction's start): the run's watermark.
-- Changes committed later are not in this build's snapshot, so the next incremental run pulls
-- what changed from here (less the lookback).
SELECT now() AS snapshot_started;
