-- Shared by every scenario: one machine-readable line at the end of a wrk run.
-- RESULT requests=N seconds=S rps=R p50_ms p99_ms errors(connect/read/write/timeout) non_2xx_3xx
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f socket_errors=%d non2xx3xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.connect + e.read + e.write + e.timeout, e.status))
  if extra_report then extra_report() end
end
