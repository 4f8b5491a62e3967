// A small OTLP/HTTP receiver for the tracing tests: POST /v1/traces with a
// JSON ExportTraceServiceRequest is checked against the OTLP JSON shape
// (opentelemetry-proto's JSON mapping: ids in lowercase hex of the right
// length, 64-bit times as decimal strings, enums as numbers), kept, and
// answered 200 {} as a collector does; anything else answers 400 and is
// recorded in `problems`, so a test fails on a payload a real collector
// would refuse. `status` makes it answer another status (a failing
// collector), `hang` makes it never answer (a stuck collector). Spans are
// flattened with their resource attributes.
import assert from 'node:assert/strict';
import http from 'node:http';

const HEX = (n) => new RegExp(`^[0-9a-f]{${n}}$`);
const NANOS = /^(0|[1-9][0-9]*)$/;

// Throws (assert) when value is not an OTLP JSON AnyValue holding a scalar.
function checkValue(value, where) {
  assert.equal(typeof value, 'object', `${where}: value is an object`);
  const keys = Object.keys(value);
  assert.equal(keys.length, 1, `${where}: one AnyValue field, got ${keys}`);
  const [k] = keys;
  if (k === 'stringValue') assert.equal(typeof value[k], 'string', `${where}: stringValue is a string`);
  else if (k === 'intValue') assert.match(value[k], /^-?[0-9]+$/, `${where}: intValue is a decimal string`);
  else if (k === 'boolValue') assert.equal(typeof value[k], 'boolean', where);
  else if (k === 'doubleValue') assert.equal(typeof value[k], 'number', where);
  else assert.fail(`${where}: unexpected AnyValue field ${k}`);
}

function checkAttributes(attrs, where) {
  assert.ok(Array.isArray(attrs), `${where}: attributes is an array`);
  const seen = new Set();
  for (const a of attrs) {
    assert.equal(typeof a.key, 'string', `${where}: attribute key`);
    assert.ok(!seen.has(a.key), `${where}: attribute ${a.key} twice`);
    seen.add(a.key);
    checkValue(a.value, `${where} ${a.key}`);
  }
}

// Throws unless body is an ExportTraceServiceRequest in OTLP JSON.
export function checkExportRequest(body) {
  assert.ok(Array.isArray(body.resourceSpans) && body.resourceSpans.length > 0, 'resourceSpans');
  for (const rs of body.resourceSpans) {
    checkAttributes(rs.resource?.attributes, 'resource');
    assert.ok(Array.isArray(rs.scopeSpans), 'scopeSpans');
    for (const ss of rs.scopeSpans) {
      assert.equal(typeof ss.scope?.name, 'string', 'scope.name');
      for (const s of ss.spans) {
        const where = `span ${s.name}`;
        assert.match(s.traceId, HEX(32), `${where}: traceId`);
        assert.notEqual(s.traceId, '0'.repeat(32), `${where}: traceId not zero`);
        assert.match(s.spanId, HEX(16), `${where}: spanId`);
        assert.notEqual(s.spanId, '0'.repeat(16), `${where}: spanId not zero`);
        if ('parentSpanId' in s) assert.match(s.parentSpanId, HEX(16), `${where}: parentSpanId`);
        assert.equal(typeof s.name, 'string', `${where}: name`);
        assert.ok(Number.isInteger(s.kind) && s.kind >= 0 && s.kind <= 5, `${where}: kind is an enum number`);
        assert.match(s.startTimeUnixNano, NANOS, `${where}: startTimeUnixNano is a decimal string`);
        assert.match(s.endTimeUnixNano, NANOS, `${where}: endTimeUnixNano is a decimal string`);
        assert.ok(BigInt(s.endTimeUnixNano) >= BigInt(s.startTimeUnixNano), `${where}: ends after it starts`);
        checkAttributes(s.attributes ?? [], where);
        for (const e of s.events ?? []) {
          assert.match(e.timeUnixNano, NANOS, `${where}: event time`);
          assert.equal(typeof e.name, 'string', `${where}: event name`);
          checkAttributes(e.attributes ?? [], `${where} event ${e.name}`);
        }
        for (const l of s.links ?? []) {
          assert.match(l.traceId, HEX(32), `${where}: link traceId`);
          assert.match(l.spanId, HEX(16), `${where}: link spanId`);
          checkAttributes(l.attributes ?? [], `${where} link`);
        }
        if (s.status !== undefined) assert.ok([0, 1, 2].includes(s.status.code ?? 0), `${where}: status.code`);
      }
    }
  }
}

const attrMap = (attrs = []) =>
  Object.fromEntries(attrs.map((a) => [a.key, a.value.stringValue ?? a.value.intValue ?? a.value.boolValue ?? a.value.doubleValue]));

// Start the receiver on a free loopback port. Resolves to
// { url, spans, requests, problems, status, stop() }: url is the base for
// OTEL_EXPORTER_OTLP_ENDPOINT; spans are {...span, attrs, resource} in
// arrival order; requests the raw {headers, body} of each POST.
export async function startOtlpReceiver() {
  const receiver = { spans: [], requests: [], problems: [], status: 200, hang: false };
  const server = http.createServer((req, res) => {
    if (receiver.hang) return; // the exporter's timeout ends it
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        assert.equal(req.method, 'POST', 'method');
        assert.equal(req.url, '/v1/traces', 'path');
        assert.match(req.headers['content-type'] ?? '', /^application\/json/, 'content-type');
        const body = JSON.parse(text);
        checkExportRequest(body);
        receiver.requests.push({ headers: req.headers, body });
        if (receiver.status === 200) {
          for (const rs of body.resourceSpans) {
            const resource = attrMap(rs.resource.attributes);
            for (const ss of rs.scopeSpans)
              for (const s of ss.spans) receiver.spans.push({ ...s, attrs: attrMap(s.attributes), resource });
          }
        }
        res.writeHead(receiver.status, { 'content-type': 'application/json' });
        res.end('{}');
      } catch (err) {
        receiver.problems.push(`${err.message}\n${text.slice(0, 2000)}`);
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: err.message }));
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${server.address().port}`;
  receiver.stop = () => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  };
  return receiver;
}
