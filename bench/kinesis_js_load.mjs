// kinesis_js_load: PutRecords load through the AWS SDK for JavaScript v3
// (@aws-sdk/client-kinesis), as a Node.js producer would send it. Driven by
// bench/kinesis_js.sh, which starts the servers. Creates a stream, runs
// WORKERS concurrent loops (one Node.js process, async) of PutRecords of
// BATCH x RECORD_BYTES for SECONDS, and prints one JSON line: records/s,
// the server's CPU seconds (utime+stime of SERVER_PID from /proc) and
// records per CPU-second.
//
// Environment: ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// NODE_MODULES (the node_modules holding the SDK), SERVER_PID, PROTOCOL
// (h2: the SDK's default handler, which speaks h2c to http:// endpoints;
// h1: NodeHttpHandler, HTTP/1.1 keep-alive), WORKERS (16), SECONDS (15),
// SHARDS (4), BATCH (500), RECORD_BYTES (1024), STREAM.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";

const require = createRequire(process.env.NODE_MODULES + "/");
const k = require("@aws-sdk/client-kinesis");
const { NodeHttpHandler } = require("@smithy/node-http-handler");
const env = (n, d) => process.env[n] ?? d;
const protocol = env("PROTOCOL", "h2");
const workers = Number(env("WORKERS", 16));
const seconds = Number(env("SECONDS", 15));
const shards = Number(env("SHARDS", 4));
const batch = Number(env("BATCH", 500));
const recordBytes = Number(env("RECORD_BYTES", 1024));
const stream = env("STREAM", "jsbench");
const pid = Number(env("SERVER_PID", 0));

const ticks = 100;  // CLK_TCK on Linux
function cpuSeconds() {
  if (!pid) return 0;
  const s = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / ticks;  // fields 14, 15
}

const handler = protocol === "h1"
  ? new NodeHttpHandler({ httpAgent: new (require("node:http").Agent)({ keepAlive: true, maxSockets: workers }) })
  : undefined;  // the SDK's default: HTTP/2 (h2c) for http:// endpoints
const client = new k.KinesisClient({
  endpoint: env("ENDPOINT"), region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: env("AWS_ACCESS_KEY_ID"), secretAccessKey: env("AWS_SECRET_ACCESS_KEY") },
  ...(handler ? { requestHandler: handler } : {}),
});

try {
  await client.send(new k.CreateStreamCommand({ StreamName: stream, ShardCount: shards }));
} catch (e) {
  if (e.name !== "ResourceInUseException") throw e;
}
for (let i = 0; ; i++) {
  const d = await client.send(new k.DescribeStreamSummaryCommand({ StreamName: stream }));
  if (d.StreamDescriptionSummary.StreamStatus === "ACTIVE") break;
  if (i > 200) throw new Error("stream never ACTIVE");
  await new Promise((r) => setTimeout(r, 20));
}

// Pre-built batches; the SDK still base64-encodes, serialises and signs each call.
const batches = Array.from({ length: 8 }, (_, b) =>
  Array.from({ length: batch }, (_, i) => ({ Data: randomBytes(recordBytes), PartitionKey: `pk-${b}-${i}` })));
let records = 0, requests = 0, errors = 0, firstError = "";
const lat = [];
const cpu0 = cpuSeconds();
const t0 = performance.now();
const stopAt = t0 + seconds * 1000;
async function worker(w) {
  for (let n = w; performance.now() < stopAt; n++) {
    const s = performance.now();
    try {
      const r = await client.send(new k.PutRecordsCommand({ StreamName: stream, Records: batches[n % batches.length] }));
      if (r.FailedRecordCount) { errors++; firstError ||= `FailedRecordCount ${r.FailedRecordCount}`; }
      records += batch - (r.FailedRecordCount || 0);
      requests++;
      lat.push(performance.now() - s);
    } catch (e) {
      errors++;
      firstError ||= `${e.name}: ${e.message}`;
    }
  }
}
await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
const wall = (performance.now() - t0) / 1000;
const cpu = cpuSeconds() - cpu0;
lat.sort((a, b) => a - b);
const pct = (p) => lat.length ? lat[Math.min(lat.length - 1, Math.floor(p / 100 * lat.length))] : 0;
console.log(JSON.stringify({
  protocol: protocol === "h1" ? "HTTP/1.1 (NodeHttpHandler)" : "HTTP/2 h2c (SDK default)",
  workers, batch, record_bytes: recordBytes, shards, requests, records, errors,
  wall_s: +wall.toFixed(3), records_per_s: +(records / wall).toFixed(1),
  server_cpu_s: +cpu.toFixed(3), records_per_cpu_s: cpu > 0 ? +(records / cpu).toFixed(1) : 0,
  p50_ms: +pct(50).toFixed(1), p99_ms: +pct(99).toFixed(1), first_error: firstError,
}));
client.destroy();
