// Kinesis round trip through the AWS SDK for JavaScript v3
// (@aws-sdk/client-kinesis), as a user's Node.js producer and consumer would
// run it: default client (the SDK's own HTTP handler and protocol choice),
// plus SubscribeToShard on an HTTP/1.1 handler. Driven by
// tests/integration/test_kinesis_js.py, which starts the server and passes
// OSPREY_ENDPOINT and the credentials in the environment. Exits non-zero
// with a message on the first mismatch.
import assert from "node:assert/strict";
import { createRequire } from "node:module";

const require = createRequire(process.env.OSPREY_NODE_MODULES + "/");
const k = require("@aws-sdk/client-kinesis");
const { NodeHttpHandler } = require("@smithy/node-http-handler");

const common = {
  endpoint: process.env.OSPREY_ENDPOINT,
  region: "us-east-1",
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID,
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
  },
  maxAttempts: 1,
};
const client = new k.KinesisClient(common);
const http1 = new k.KinesisClient({ ...common, requestHandler: new NodeHttpHandler() });
const send = (command) => client.send(command);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitActive(name) {
  for (let i = 0; i < 100; i++) {
    const d = await send(new k.DescribeStreamSummaryCommand({ StreamName: name }));
    if (d.StreamDescriptionSummary.StreamStatus === "ACTIVE") return d.StreamDescriptionSummary;
    await sleep(50);
  }
  throw new Error("never ACTIVE");
}

async function readAll(name, shardId, type, extra = {}) {
  let it = (await send(new k.GetShardIteratorCommand({
    StreamName: name, ShardId: shardId, ShardIteratorType: type, ...extra,
  }))).ShardIterator;
  const out = [];
  for (let i = 0; i < 20 && it; i++) {
    const r = await send(new k.GetRecordsCommand({ ShardIterator: it }));
    out.push(...r.Records);
    if (r.Records.length === 0 && r.MillisBehindLatest === 0) break;
    it = r.NextShardIterator;
  }
  return out;
}

const name = "js-events";
await send(new k.CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
const summary = await waitActive(name);
assert.equal(summary.StreamARN, `arn:aws:kinesis:us-east-1:000000000000:stream/${name}`);

// Binary data, single and batch, comes back byte identical and in order.
const blob = Uint8Array.from({ length: 256 }, (_, i) => i);
const one = await send(new k.PutRecordCommand({ StreamName: name, Data: blob, PartitionKey: "p" }));
assert.equal(one.ShardId, "shardId-000000000000");
const batch = await send(new k.PutRecordsCommand({
  StreamName: name,
  Records: Array.from({ length: 100 }, (_, i) => ({ Data: Buffer.from(`b${i}`), PartitionKey: "p" })),
}));
assert.equal(batch.FailedRecordCount, 0);
const records = await readAll(name, "shardId-000000000000", "TRIM_HORIZON");
assert.equal(records.length, 101);
assert.deepEqual(Buffer.from(records[0].Data), Buffer.from(blob));
records.slice(1).forEach((r, i) => assert.equal(Buffer.from(r.Data).toString(), `b${i}`));
assert.ok(records[0].ApproximateArrivalTimestamp instanceof Date);
const after = await readAll(name, "shardId-000000000000", "AFTER_SEQUENCE_NUMBER",
  { StartingSequenceNumber: one.SequenceNumber });
assert.equal(Buffer.from(after[0].Data).toString(), "b0");
const stamped = await readAll(name, "shardId-000000000000", "AT_TIMESTAMP",
  { Timestamp: new Date(Date.now() - 60000) });
assert.equal(stamped.length, 101);
await assert.rejects(send(new k.GetShardIteratorCommand({
  StreamName: name, ShardId: "shardId-000000000000", ShardIteratorType: "AT_TIMESTAMP",
  Timestamp: new Date(Date.now() + 60000),
})), (e) => e.name === "InvalidArgumentException");

// Resharding, retention, tags.
await send(new k.SplitShardCommand({
  StreamName: name, ShardToSplit: "shardId-000000000000", NewStartingHashKey: (2n ** 127n).toString(),
}));
await waitActive(name);
const shards = (await send(new k.ListShardsCommand({ StreamName: name }))).Shards;
assert.equal(shards.length, 3);
await send(new k.MergeShardsCommand({
  StreamName: name, ShardToMerge: "shardId-000000000001", AdjacentShardToMerge: "shardId-000000000002",
}));
await waitActive(name);
await send(new k.IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 72 }));
await send(new k.DecreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 48 }));
await send(new k.AddTagsToStreamCommand({ StreamName: name, Tags: { camera: "front" } }));
const tags = await send(new k.ListTagsForStreamCommand({ StreamName: name }));
assert.deepEqual(tags.Tags, [{ Key: "camera", Value: "front" }]);

// Enhanced fan-out: register, subscribe over HTTP/1.1, receive live records.
const consumer = (await send(new k.RegisterStreamConsumerCommand({
  StreamARN: summary.StreamARN, ConsumerName: "js-reader",
}))).Consumer;
for (let i = 0; i < 100; i++) {
  const d = await send(new k.DescribeStreamConsumerCommand({ ConsumerARN: consumer.ConsumerARN }));
  if (d.ConsumerDescription.ConsumerStatus === "ACTIVE") break;
  await sleep(50);
}
const open = (await send(new k.ListShardsCommand({
  StreamName: name, ShardFilter: { Type: "AT_LATEST" },
}))).Shards[0].ShardId;
const sub = await http1.send(new k.SubscribeToShardCommand({
  ConsumerARN: consumer.ConsumerARN, ShardId: open, StartingPosition: { Type: "LATEST" },
}));
const wanted = ["live-0", "live-1", "live-2"];
setTimeout(async () => {
  for (const w of wanted) {
    await send(new k.PutRecordCommand({ StreamName: name, Data: Buffer.from(w), PartitionKey: "p" }));
  }
}, 200);
const got = [];
const deadline = Date.now() + 10000;
for await (const event of sub.EventStream) {
  if (event.SubscribeToShardEvent) {
    for (const r of event.SubscribeToShardEvent.Records) got.push(Buffer.from(r.Data).toString());
    assert.ok(event.SubscribeToShardEvent.ContinuationSequenceNumber);
  }
  if (got.length >= wanted.length || Date.now() > deadline) break;
}
assert.deepEqual(got, wanted);

await send(new k.DeregisterStreamConsumerCommand({ ConsumerARN: consumer.ConsumerARN }));
await send(new k.DeleteStreamCommand({ StreamName: name }));
await assert.rejects(send(new k.DescribeStreamCommand({ StreamName: name })),
  (e) => e.name === "ResourceNotFoundException");
console.log("js round trip ok");
process.exit(0);
