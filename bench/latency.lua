-- wrk script for bench/: after the run, print one machine-readable line with
-- requests/s, latency percentiles in microseconds and the error counts
-- (status = responses that were not 2xx/3xx), for bench/lib.sh to parse.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH rps=%.1f p50=%d p99=%d requests=%d socket_errors=%d status_errors=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), summary.requests,
    e.connect + e.read + e.write + e.timeout, e.status))
end
