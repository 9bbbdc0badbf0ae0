// End-to-end: the official `openai` npm client, changed only in baseURL and apiKey, talks to
// `cordon serve`, which routes to two `cordon simulate` echo backends (PRODUCT.md §1-§4).
//
//   CORDON_BIN=/path/to/cordon node --test openai_sdk.test.mjs
//
// Topology (everything on 127.0.0.1, ports picked by the OS):
//   boundary onprem (clearance restricted, region eu-de) <- backend local-llama <- simulate "onprem"
//   boundary cloud  (clearance internal,   region eu)    <- backend cloud-gpt   <- simulate "cloud"
//   model assistant:  [cloud-gpt:gpt-4o, local-llama:llama-3.1-8b]  (cloud first)
//   model cloud-only: [cloud-gpt:gpt-4o]
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import OpenAI from "openai";

import { REQUEST_ID, TEST_TIMEOUT_MS, sha256Hex, startCordon, stopAll } from "./harness.mjs";

function gatewayConfig({ onpremPort, cloudPort, keyHash, auditPath }) {
  return `# written by tests/e2e/openai_sdk.test.mjs
listen: 127.0.0.1:0
levels: [public, internal, confidential, restricted]

boundaries:
  onprem: { clearance: restricted, region: eu-de, note: "e2e on-prem simulator" }
  cloud:  { clearance: internal,   region: eu,    note: "e2e cloud simulator" }

backends:
  local-llama: { boundary: onprem, protocol: openai, url: "http://127.0.0.1:${onpremPort}/v1" }
  cloud-gpt:   { boundary: cloud,  protocol: openai, url: "http://127.0.0.1:${cloudPort}/v1" }

models:
  assistant:
    targets: [cloud-gpt:gpt-4o, local-llama:llama-3.1-8b]
  cloud-only:
    targets: [cloud-gpt:gpt-4o]
  masked:
    pseudonymize: auto
    targets: [cloud-gpt:gpt-4o, local-llama:llama-3.1-8b]

audit: { sink: "sqlite:${auditPath}", durability: sync }

tenants:
  acme:
    residency: [eu, eu-de]
    keys:
      - { name: e2e-app, sha256: "${keyHash}" }
`;
}

// ---------------------------------------------------------------------------------------------
// Suite
// ---------------------------------------------------------------------------------------------

const API_KEY = `ck-e2e-${randomBytes(24).toString("hex")}`;
const CONFIGURED_MODELS = ["assistant", "cloud-only", "masked"];

const CLOUD = { boundary: "cloud", backend: "cloud-gpt", region: "eu", name: "cloud" };
const ONPREM = { boundary: "onprem", backend: "local-llama", region: "eu-de", name: "onprem" };

describe("cordon with the official openai client", { timeout: 40_000 }, () => {
  const children = [];
  let tmp;
  let baseURL;
  let cloudRecord;

  const client = (options = {}) =>
    new OpenAI({ baseURL, apiKey: API_KEY, maxRetries: 0, timeout: 10_000, ...options });

  before(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), "cordon-e2e-"));
    cloudRecord = path.join(tmp, "cloud-received.jsonl");
    const [onprem, cloud] = await Promise.all([
      startCordon("simulate onprem", [
        "simulate", "--listen", "127.0.0.1:0", "--protocol", "openai",
        "--name", "onprem", "--mode", "echo", "--token-delay-ms", "2",
      ]),
      startCordon("simulate cloud", [
        "simulate", "--listen", "127.0.0.1:0", "--protocol", "openai",
        "--name", "cloud", "--mode", "echo", "--token-delay-ms", "2",
        "--chunk-bytes", "4", "--record", cloudRecord,
      ]),
    ]);
    children.push(onprem, cloud);
    const configPath = path.join(tmp, "cordon.yaml");
    await writeFile(
      configPath,
      gatewayConfig({
        onpremPort: onprem.port,
        cloudPort: cloud.port,
        keyHash: sha256Hex(API_KEY),
        auditPath: path.join(tmp, "audit.db"),
      }),
    );
    const gateway = await startCordon("serve", ["serve", "-c", configPath]);
    children.push(gateway);
    baseURL = `http://127.0.0.1:${gateway.port}/v1`;
  });

  after(async () => {
    // Gateway first (it holds connections to the simulators), then the simulators.
    const problems = await stopAll(children);
    if (tmp) {
      await rm(tmp, { recursive: true, force: true });
    }
    assert.deepEqual(problems, [], "every process stops cleanly on SIGTERM");
  });

  /** The routing headers every answer carries (PRODUCT.md §3). */
  function assertRoute(headers, where, level) {
    assert.match(headers.get("x-cordon-request-id") ?? "", REQUEST_ID, "x-cordon-request-id");
    assert.equal(headers.get("x-cordon-level"), level, "x-cordon-level");
    assert.equal(headers.get("x-cordon-boundary"), where.boundary, "x-cordon-boundary");
    assert.equal(headers.get("x-cordon-backend"), where.backend, "x-cordon-backend");
    assert.equal(headers.get("x-cordon-region"), where.region, "x-cordon-region");
  }

  /** Drains a chat completion stream: the concatenated content and the last finish_reason. */
  async function collect(stream) {
    let content = "";
    let finish = null;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      assert.equal(chunk.object, "chat.completion.chunk");
      const choice = chunk.choices[0];
      if (!choice) {
        continue;
      }
      content += choice.delta?.content ?? "";
      finish = choice.finish_reason ?? finish;
    }
    return { content, finish, chunks };
  }

  // 1 ------------------------------------------------------------------------------------------
  test("non-streaming chat completion goes to the cloud at level public", { timeout: TEST_TIMEOUT_MS }, async () => {
    const prompt = "Summarise the weekly status meeting in three short bullet points.";
    const { data, response } = await client()
      .chat.completions.create({ model: "assistant", messages: [{ role: "user", content: prompt }] })
      .withResponse();

    assert.equal(response.status, 200);
    assert.equal(data.object, "chat.completion");
    assert.equal(data.choices.length, 1);
    assert.equal(data.choices[0].message.role, "assistant");
    assert.equal(data.choices[0].message.content, `[cloud] ${prompt}`);
    assert.equal(data.choices[0].finish_reason, "stop");
    assertRoute(response.headers, CLOUD, "public");

    // Two requests, two different request ids.
    const second = await client()
      .chat.completions.create({ model: "assistant", messages: [{ role: "user", content: prompt }] })
      .asResponse();
    assert.match(second.headers.get("x-cordon-request-id") ?? "", REQUEST_ID);
    assert.notEqual(second.headers.get("x-cordon-request-id"), response.headers.get("x-cordon-request-id"));
    await second.text();
  });

  test("text with quotes, backslashes, newlines and non-ASCII comes back byte for byte", { timeout: TEST_TIMEOUT_MS }, async () => {
    const prompt = 'He said "ok" \\ then left.\nLine two:\ttab, ünïcödé, 日本語, emoji 🚀 and a {"json": [1]} look-alike.';
    const openai = client();
    const whole = await openai.chat.completions.create({
      model: "assistant",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: prompt },
      ],
    });
    assert.equal(whole.choices[0].message.content, `[cloud] ${prompt}`);

    const stream = await openai.chat.completions.create({
      model: "assistant",
      stream: true,
      messages: [{ role: "user", content: prompt }],
    });
    const { content } = await collect(stream);
    assert.equal(content, `[cloud] ${prompt}`);
  });

  // 2 ------------------------------------------------------------------------------------------
  test("streaming chat completion: the deltas concatenate to the answer", { timeout: TEST_TIMEOUT_MS }, async () => {
    const prompt = "Write a haiku about the autumn harbour at dawn";
    const { data: stream, response } = await client()
      .chat.completions.create({
        model: "assistant",
        stream: true,
        messages: [{ role: "user", content: prompt }],
      })
      .withResponse();

    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
    assertRoute(response.headers, CLOUD, "public");

    const { content, finish, chunks } = await collect(stream);
    assert.equal(content, `[cloud] ${prompt}`);
    assert.equal(finish, "stop");
    assert.ok(chunks > 3, `streamed word by word (got ${chunks} chunks)`);
  });

  test("streaming with the SDK's stream() helper and include_usage", { timeout: TEST_TIMEOUT_MS }, async () => {
    const prompt = "List three colours of the rainbow";
    const runner = client().chat.completions.stream({
      model: "assistant",
      messages: [{ role: "user", content: prompt }],
      stream_options: { include_usage: true },
    });
    const final = await runner.finalChatCompletion();
    assert.equal(final.choices[0].message.content, `[cloud] ${prompt}`);
    assert.equal(final.choices[0].finish_reason, "stop");
    assert.ok(final.usage, "the usage chunk reaches the client");
    assert.ok(final.usage.completion_tokens > 0);
  });

  // 3 ------------------------------------------------------------------------------------------
  test("declared level confidential (defaultHeaders) routes on-prem", { timeout: TEST_TIMEOUT_MS }, async () => {
    const prompt = "Draft the quarterly board memo outline";
    const confidential = client({ defaultHeaders: { "x-cordon-level": "confidential" } });
    const { data, response } = await confidential.chat.completions
      .create({ model: "assistant", messages: [{ role: "user", content: prompt }] })
      .withResponse();
    assert.equal(data.choices[0].message.content, `[onprem] ${prompt}`);
    assertRoute(response.headers, ONPREM, "confidential");
  });

  test("declared level confidential (per-request header) routes on-prem, streaming", { timeout: TEST_TIMEOUT_MS }, async () => {
    const prompt = "Outline the merger integration plan step by step";
    const { data: stream, response } = await client()
      .chat.completions.create(
        { model: "assistant", stream: true, messages: [{ role: "user", content: prompt }] },
        { headers: { "x-cordon-level": "confidential" } },
      )
      .withResponse();
    assertRoute(response.headers, ONPREM, "confidential");
    const { content, finish } = await collect(stream);
    assert.equal(content, `[onprem] ${prompt}`);
    assert.equal(finish, "stop");
  });

  test("declared level internal stays within the cloud's clearance", { timeout: TEST_TIMEOUT_MS }, async () => {
    const prompt = "Explain the holiday rota";
    const { data, response } = await client()
      .chat.completions.create(
        { model: "assistant", messages: [{ role: "user", content: prompt }] },
        { headers: { "x-cordon-level": "internal" } },
      )
      .withResponse();
    assert.equal(data.choices[0].message.content, `[cloud] ${prompt}`);
    assertRoute(response.headers, CLOUD, "internal");
  });

  // 4 ------------------------------------------------------------------------------------------
  test("policy refusal: restricted request to a cloud-only model is a 403 policy_violation", { timeout: TEST_TIMEOUT_MS }, async () => {
    const prompt = "Zebra-marmalade-7431 the secret restricted payload text";
    for (const stream of [false, true]) {
      await assert.rejects(
        client().chat.completions.create(
          { model: "cloud-only", stream, messages: [{ role: "user", content: prompt }] },
          { headers: { "x-cordon-level": "restricted" } },
        ),
        (error) => {
          assert.ok(error instanceof OpenAI.APIError, `an APIError, got ${error?.constructor?.name}`);
          assert.ok(error instanceof OpenAI.PermissionDeniedError,
            `a PermissionDeniedError, got ${error.constructor.name}`);
          assert.equal(error.status, 403);
          assert.equal(error.type, "policy_violation");
          assert.equal(error.error?.type, "policy_violation");
          assert.ok(typeof error.message === "string" && error.message.length > 0);
          for (const fragment of [prompt, "Zebra-marmalade-7431", "payload text"]) {
            assert.ok(!error.message.includes(fragment), `the error message leaks "${fragment}"`);
            assert.ok(!JSON.stringify(error.error ?? {}).includes(fragment),
              `the error body leaks "${fragment}"`);
          }
          assert.match(error.headers?.get("x-cordon-request-id") ?? "", REQUEST_ID);
          assert.equal(error.headers?.get("x-cordon-level"), "restricted");
          return true;
        },
        `stream: ${stream}`,
      );
    }
  });

  // 5 ------------------------------------------------------------------------------------------
  test("a bad API key is an AuthenticationError (401)", { timeout: TEST_TIMEOUT_MS }, async () => {
    const intruder = client({ apiKey: `ck-e2e-${randomBytes(24).toString("hex")}` });
    await assert.rejects(
      intruder.chat.completions.create({
        model: "assistant",
        messages: [{ role: "user", content: "hello there" }],
      }),
      (error) => {
        assert.ok(error instanceof OpenAI.AuthenticationError,
          `an AuthenticationError, got ${error?.constructor?.name}: ${error?.message}`);
        assert.equal(error.status, 401);
        return true;
      },
    );
    await assert.rejects(intruder.models.list(), OpenAI.AuthenticationError);
  });

  test("an unknown model is a NotFoundError (404)", { timeout: TEST_TIMEOUT_MS }, async () => {
    await assert.rejects(
      client().chat.completions.create({
        model: "no-such-model",
        messages: [{ role: "user", content: "hello there" }],
      }),
      (error) => {
        assert.ok(error instanceof OpenAI.NotFoundError,
          `a NotFoundError, got ${error?.constructor?.name}: ${error?.message}`);
        assert.equal(error.status, 404);
        return true;
      },
    );
  });

  test("an x-cordon-level outside the configured levels is a BadRequestError (400)", { timeout: TEST_TIMEOUT_MS }, async () => {
    await assert.rejects(
      client().chat.completions.create(
        { model: "assistant", messages: [{ role: "user", content: "hello there" }] },
        { headers: { "x-cordon-level": "top-secret" } },
      ),
      (error) => {
        assert.ok(error instanceof OpenAI.BadRequestError,
          `a BadRequestError, got ${error?.constructor?.name}: ${error?.message}`);
        assert.equal(error.status, 400);
        return true;
      },
    );
  });

  // 6 ------------------------------------------------------------------------------------------
  test("models.list() returns the configured model names", { timeout: TEST_TIMEOUT_MS }, async () => {
    const page = await client().models.list();
    assert.deepEqual(page.data.map((model) => model.id).sort(), [...CONFIGURED_MODELS].sort());
    for (const model of page.data) {
      assert.equal(model.object, "model");
    }
    const iterated = [];
    for await (const model of client().models.list()) {
      iterated.push(model.id);
    }
    assert.deepEqual(iterated.sort(), [...CONFIGURED_MODELS].sort());
  });

  // 7 ------------------------------------------------------------------------------------------
  const tools = [
    {
      type: "function",
      function: {
        name: "lookup_order",
        description: "Look up an order's shipping status",
        parameters: {
          type: "object",
          properties: { echo: { type: "string" } },
          required: ["echo"],
        },
      },
    },
    {
      type: "function",
      function: {
        name: "cancel_order",
        description: "Cancel an order",
        parameters: { type: "object", properties: {} },
      },
    },
  ];

  test("tool-call round trip", { timeout: TEST_TIMEOUT_MS }, async () => {
    const openai = client();
    const prompt = "Where is my parcel? CALL_TOOL please";
    const messages = [{ role: "user", content: prompt }];

    const { data: first, response } = await openai.chat.completions
      .create({ model: "assistant", messages, tools })
      .withResponse();
    assertRoute(response.headers, CLOUD, "public");
    const message = first.choices[0].message;
    assert.equal(first.choices[0].finish_reason, "tool_calls");
    assert.ok(Array.isArray(message.tool_calls) && message.tool_calls.length === 1, "one tool call");
    const call = message.tool_calls[0];
    assert.equal(call.type, "function");
    assert.equal(call.function.name, "lookup_order");
    assert.ok(call.id, "the tool call has an id");
    assert.deepEqual(JSON.parse(call.function.arguments), { echo: prompt });

    messages.push(message);
    messages.push({ role: "tool", tool_call_id: call.id, content: '{"status": "shipped"}' });
    const second = await openai.chat.completions.create({ model: "assistant", messages, tools });
    assert.equal(second.choices[0].finish_reason, "stop");
    assert.equal(second.choices[0].message.tool_calls?.length ?? 0, 0);
    assert.equal(second.choices[0].message.content, `[cloud] ${prompt}`);
  });

  test("tool-call round trip, streaming", { timeout: TEST_TIMEOUT_MS }, async () => {
    const openai = client();
    const prompt = "Track shipment CALL_TOOL now";
    const messages = [{ role: "user", content: prompt }];

    const runner = openai.chat.completions.stream({ model: "assistant", messages, tools });
    const first = await runner.finalChatCompletion();
    const message = first.choices[0].message;
    assert.equal(first.choices[0].finish_reason, "tool_calls");
    assert.equal(message.tool_calls?.length, 1, "one tool call");
    const call = message.tool_calls[0];
    assert.equal(call.function.name, "lookup_order");
    assert.deepEqual(JSON.parse(call.function.arguments), { echo: prompt });

    messages.push({ role: "assistant", content: null, tool_calls: message.tool_calls });
    messages.push({ role: "tool", tool_call_id: call.id, content: "shipped" });
    const stream = await openai.chat.completions.create({ model: "assistant", messages, tools, stream: true });
    const { content, finish } = await collect(stream);
    assert.equal(content, `[cloud] ${prompt}`);
    assert.equal(finish, "stop");
  });
  // 8 ------------------------------------------------------------------------------------------
  const complaint =
    "My name is Jane Roe and my parcel never came. Write to jane.roe@example.com or call " +
    "+44 20 7946 0958.";
  const originals = ["Jane Roe", "jane.roe@example.com", "+44 20 7946 0958"];

  /** The cloud simulator's record: what the cloud model was shown, never an original value. */
  async function assertCloudSawNoOriginals() {
    const seen = await readFile(cloudRecord, "utf8");
    for (const value of originals) {
      assert.ok(!seen.includes(value), `${value} reached the cloud backend`);
    }
    assert.match(seen, /<EMAIL_ADDRESS_1>/);
  }

  test("pseudonymized streaming answer: the cloud sees placeholders, the client the values", { timeout: TEST_TIMEOUT_MS }, async () => {
    const { data: stream, response } = await client()
      .chat.completions.create({
        model: "masked",
        stream: true,
        messages: [{ role: "user", content: complaint }],
      })
      .withResponse();
    assertRoute(response.headers, CLOUD, "confidential");
    assert.equal(response.headers.get("x-cordon-pseudonymized"), "3");
    const { content, finish, chunks } = await collect(stream);
    assert.equal(content, `[cloud] ${complaint}`);
    assert.equal(finish, "stop");
    assert.ok(chunks > 10, `streamed in small pieces (got ${chunks} chunks)`);
    await assertCloudSawNoOriginals();
  });

  test("pseudonymized tool-call round trip", { timeout: TEST_TIMEOUT_MS }, async () => {
    const openai = client();
    const prompt = `CALL_TOOL: ${complaint}`;
    const messages = [{ role: "user", content: prompt }];
    const runner = openai.chat.completions.stream({ model: "masked", messages, tools });
    const first = await runner.finalChatCompletion();
    const call = first.choices[0].message.tool_calls[0];
    assert.deepEqual(JSON.parse(call.function.arguments), { echo: prompt });

    messages.push(first.choices[0].message);
    messages.push({ role: "tool", tool_call_id: call.id, content: "ticket filed for jane.roe@example.com" });
    const { data: second, response } = await openai.chat.completions
      .create({ model: "masked", messages, tools })
      .withResponse();
    assertRoute(response.headers, CLOUD, "confidential");
    assert.equal(second.choices[0].message.content, `[cloud] ${prompt}`);
    await assertCloudSawNoOriginals();
  });
});
