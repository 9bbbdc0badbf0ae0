// End-to-end: the official `@anthropic-ai/sdk` client, changed only in baseURL and apiKey, talks
// to `cordon serve`; the official `openai` client talks to an Anthropic backend through it. Every
// front door / backend pair is crossed: Anthropic -> Anthropic, Anthropic -> OpenAI and
// OpenAI -> Anthropic (OpenAI -> OpenAI is openai_sdk.test.mjs), streaming and not, with a tool
// round trip and a pseudonymized streamed answer in each SDK (PRODUCT.md §3).
//
//   CORDON_BIN=/path/to/cordon node --test anthropic_sdk.test.mjs
//
// Topology (everything on 127.0.0.1, ports picked by the OS):
//   boundary onprem (clearance restricted, eu-de) <- backend local-llama (openai)    <- simulate "onprem"
//   boundary cloud  (clearance internal,   eu)    <- backend claude      (anthropic) <- simulate "claude"
//   model claude:  [claude:claude-sonnet]                (Anthropic backend)
//   model local:   [local-llama:llama-3.1-8b]            (OpenAI backend)
//   model masked:  pseudonymize auto, [claude:claude-sonnet, local-llama:llama-3.1-8b]
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";

import { REQUEST_ID, TEST_TIMEOUT_MS, sha256Hex, startCordon, stopAll } from "./harness.mjs";

function gatewayConfig({ onpremPort, claudePort, keyHash, auditPath }) {
  return `# written by tests/e2e/anthropic_sdk.test.mjs
listen: 127.0.0.1:0
levels: [public, internal, confidential, restricted]

boundaries:
  onprem: { clearance: restricted, region: eu-de, note: "e2e on-prem simulator" }
  cloud:  { clearance: internal,   region: eu,    note: "e2e Anthropic simulator" }

backends:
  local-llama: { boundary: onprem, protocol: openai,    url: "http://127.0.0.1:${onpremPort}/v1" }
  claude:      { boundary: cloud,  protocol: anthropic, url: "http://127.0.0.1:${claudePort}" }

models:
  claude:
    targets: [claude:claude-sonnet]
  local:
    targets: [local-llama:llama-3.1-8b]
  masked:
    pseudonymize: auto
    targets: [claude:claude-sonnet, local-llama:llama-3.1-8b]

audit: { sink: "sqlite:${auditPath}", durability: sync }

tenants:
  acme:
    residency: [eu, eu-de]
    keys:
      - { name: e2e-app, sha256: "${keyHash}" }
`;
}

const API_KEY = `ck-e2e-${randomBytes(24).toString("hex")}`;
const CLAUDE = { boundary: "cloud", backend: "claude", region: "eu" };
const ONPREM = { boundary: "onprem", backend: "local-llama", region: "eu-de" };

const tools = [
  {
    name: "lookup_order",
    description: "Looks up an order by the customer's words.",
    input_schema: { type: "object", properties: { echo: { type: "string" } }, required: ["echo"] },
  },
];
const openaiTools = [
  {
    type: "function",
    function: { name: tools[0].name, description: tools[0].description, parameters: tools[0].input_schema },
  },
];

const complaint =
  "My name is Jane Roe and my parcel never came. Write to jane.roe@example.com or call " +
  "+44 20 7946 0958.";
const originals = ["Jane Roe", "jane.roe@example.com", "+44 20 7946 0958"];

describe("cordon with the official Anthropic client, and across protocols", { timeout: 60_000 }, () => {
  const children = [];
  let tmp;
  let gatewayURL;
  let claudeRecord;

  const anthropic = () =>
    new Anthropic({ baseURL: gatewayURL, apiKey: API_KEY, maxRetries: 0, timeout: 10_000 });
  const openai = () =>
    new OpenAI({ baseURL: `${gatewayURL}/v1`, apiKey: API_KEY, maxRetries: 0, timeout: 10_000 });

  before(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), "cordon-e2e-anthropic-"));
    claudeRecord = path.join(tmp, "claude-received.jsonl");
    const [onprem, claude] = await Promise.all([
      startCordon("simulate onprem", [
        "simulate", "--listen", "127.0.0.1:0", "--protocol", "openai",
        "--name", "onprem", "--mode", "echo", "--token-delay-ms", "1",
      ]),
      startCordon("simulate claude", [
        "simulate", "--listen", "127.0.0.1:0", "--protocol", "anthropic",
        "--name", "claude", "--mode", "echo", "--token-delay-ms", "1",
        "--chunk-bytes", "4", "--record", claudeRecord,
      ]),
    ]);
    children.push(onprem, claude);
    const configPath = path.join(tmp, "cordon.yaml");
    await writeFile(
      configPath,
      gatewayConfig({
        onpremPort: onprem.port,
        claudePort: claude.port,
        keyHash: sha256Hex(API_KEY),
        auditPath: path.join(tmp, "audit.db"),
      }),
    );
    const gateway = await startCordon("serve", ["serve", "-c", configPath]);
    children.push(gateway);
    gatewayURL = `http://127.0.0.1:${gateway.port}`;
  });

  after(async () => {
    const problems = await stopAll(children);
    if (tmp) {
      await rm(tmp, { recursive: true, force: true });
    }
    assert.deepEqual(problems, [], "every process stops cleanly on SIGTERM");
  });

  function assertRoute(headers, where, level) {
    assert.match(headers.get("x-cordon-request-id") ?? "", REQUEST_ID, "x-cordon-request-id");
    assert.equal(headers.get("x-cordon-level"), level, "x-cordon-level");
    assert.equal(headers.get("x-cordon-boundary"), where.boundary, "x-cordon-boundary");
    assert.equal(headers.get("x-cordon-backend"), where.backend, "x-cordon-backend");
  }

  const textOf = (message) =>
    message.content.filter((block) => block.type === "text").map((block) => block.text).join("");

  /** Drains an Anthropic event stream: the text, the event types in order, the stop reason. */
  async function collectEvents(stream) {
    let text = "";
    let stop = null;
    const types = [];
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "content_block_delta" && event.delta.type === "text_delta") {
        text += event.delta.text;
      }
      if (event.type === "message_delta") {
        stop = event.delta.stop_reason;
      }
    }
    return { text, stop, types };
  }

  async function assertClaudeSawNoOriginals() {
    const seen = await readFile(claudeRecord, "utf8");
    for (const value of originals) {
      assert.ok(!seen.includes(value), `${value} reached the Anthropic backend`);
    }
    assert.match(seen, /<EMAIL_ADDRESS_1>/);
  }

  // Anthropic -> Anthropic ---------------------------------------------------------------------
  test("messages.create to an Anthropic backend", { timeout: TEST_TIMEOUT_MS }, async () => {
    const prompt = "Summarise the weekly status meeting in three short bullet points.";
    const { data, response } = await anthropic()
      .messages.create({
        model: "claude",
        max_tokens: 256,
        system: "You are terse.",
        messages: [{ role: "user", content: prompt }],
      })
      .withResponse();
    assert.equal(response.status, 200);
    assertRoute(response.headers, CLAUDE, "public");
    assert.equal(data.type, "message");
    assert.equal(data.role, "assistant");
    assert.equal(textOf(data), `[claude] ${prompt}`);
    assert.equal(data.stop_reason, "end_turn");
    assert.ok(data.usage.input_tokens > 0 && data.usage.output_tokens > 0, "usage is counted");
  });

  test("streamed messages to an Anthropic backend keep the spec's event order", { timeout: TEST_TIMEOUT_MS }, async () => {
    const prompt = "Draft a two-line release note for version 4.2.";
    const stream = await anthropic().messages.create({
      model: "claude",
      max_tokens: 256,
      stream: true,
      messages: [{ role: "user", content: prompt }],
    });
    const { text, stop, types } = await collectEvents(stream);
    assert.equal(text, `[claude] ${prompt}`);
    assert.equal(stop, "end_turn");
    assert.equal(types[0], "message_start");
    assert.equal(types.at(-1), "message_stop");
    assert.equal(types.at(-2), "message_delta");
  });

  test("tool-use round trip with an Anthropic backend", { timeout: TEST_TIMEOUT_MS }, async () => {
    const client = anthropic();
    const prompt = "Where is my parcel? CALL_TOOL please";
    const messages = [{ role: "user", content: prompt }];
    const first = await client.messages.create({ model: "claude", max_tokens: 256, messages, tools });
    assert.equal(first.stop_reason, "tool_use");
    const use = first.content.find((block) => block.type === "tool_use");
    assert.ok(use, "a tool_use block");
    assert.equal(use.name, "lookup_order");
    assert.deepEqual(use.input, { echo: prompt });

    messages.push({ role: "assistant", content: first.content });
    messages.push({
      role: "user",
      content: [{ type: "tool_result", tool_use_id: use.id, content: "shipped yesterday" }],
    });
    const second = await client.messages.create({ model: "claude", max_tokens: 256, messages, tools });
    assert.equal(second.stop_reason, "end_turn");
    assert.equal(textOf(second), "[claude] shipped yesterday");
  });

  test("pseudonymized streamed answer: the Anthropic backend sees placeholders, the client the values", { timeout: TEST_TIMEOUT_MS }, async () => {
    const { data: stream, response } = await anthropic()
      .messages.create({
        model: "masked",
        max_tokens: 512,
        stream: true,
        messages: [{ role: "user", content: complaint }],
      })
      .withResponse();
    assertRoute(response.headers, CLAUDE, "confidential");
    assert.equal(response.headers.get("x-cordon-pseudonymized"), "3");
    const { text, stop } = await collectEvents(stream);
    assert.equal(text, `[claude] ${complaint}`);
    assert.equal(stop, "end_turn");
    await assertClaudeSawNoOriginals();
  });

  // Anthropic -> OpenAI ------------------------------------------------------------------------
  test("messages.create translated to an OpenAI backend", { timeout: TEST_TIMEOUT_MS }, async () => {
    const prompt = "Which rooms are free on Tuesday?";
    const { data, response } = await anthropic()
      .messages.create({ model: "local", max_tokens: 128, messages: [{ role: "user", content: prompt }] })
      .withResponse();
    assertRoute(response.headers, ONPREM, "public");
    assert.equal(textOf(data), `[onprem] ${prompt}`);
    assert.equal(data.stop_reason, "end_turn");
    assert.ok(data.usage.output_tokens > 0, "usage is translated");
  });

  test("streamed messages translated from an OpenAI backend, with the SDK's stream helper", { timeout: TEST_TIMEOUT_MS }, async () => {
    const prompt = "List three colours of the rainbow.";
    const stream = anthropic().messages.stream({
      model: "local",
      max_tokens: 128,
      messages: [{ role: "user", content: prompt }],
    });
    let streamed = "";
    stream.on("text", (piece) => {
      streamed += piece;
    });
    const final = await stream.finalMessage();
    assert.equal(streamed, `[onprem] ${prompt}`);
    assert.equal(textOf(final), `[onprem] ${prompt}`);
    assert.equal(final.stop_reason, "end_turn");
    assert.ok(final.usage.output_tokens > 0, "usage arrives in message_delta");
  });

  test("tool-use round trip translated to an OpenAI backend, streaming", { timeout: TEST_TIMEOUT_MS }, async () => {
    const client = anthropic();
    const prompt = "Track shipment CALL_TOOL now";
    const messages = [{ role: "user", content: prompt }];
    const first = await client.messages.stream({ model: "local", max_tokens: 128, messages, tools }).finalMessage();
    assert.equal(first.stop_reason, "tool_use");
    const use = first.content.find((block) => block.type === "tool_use");
    assert.ok(use, "a tool_use block");
    assert.equal(use.name, "lookup_order");
    assert.deepEqual(use.input, { echo: prompt });

    messages.push({ role: "assistant", content: first.content });
    messages.push({ role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "shipped" }] });
    const second = await client.messages.create({ model: "local", max_tokens: 128, messages, tools });
    assert.equal(second.stop_reason, "end_turn");
    // The OpenAI simulator echoes the last user message: the prompt, not the tool's result.
    assert.equal(textOf(second), `[onprem] ${prompt}`);
  });

  test("errors come back in Anthropic's form", { timeout: TEST_TIMEOUT_MS }, async () => {
    await assert.rejects(
      anthropic().messages.create({ model: "nosuch", max_tokens: 16, messages: [{ role: "user", content: "hi" }] }),
      (error) => error instanceof Anthropic.NotFoundError && error.error?.type === "error",
    );
    await assert.rejects(
      anthropic().messages.create({
        model: "claude",
        max_tokens: 16,
        messages: [{ role: "user", content: "Card 4111 1111 1111 1111 was declined." }],
      }),
      (error) => error instanceof Anthropic.PermissionDeniedError && /policy/.test(error.message),
    );
    await assert.rejects(
      new Anthropic({ baseURL: gatewayURL, apiKey: "sk-wrong", maxRetries: 0 }).messages.create({
        model: "claude", max_tokens: 16, messages: [{ role: "user", content: "hi" }],
      }),
      (error) => error instanceof Anthropic.AuthenticationError,
    );
  });

  // OpenAI -> Anthropic ------------------------------------------------------------------------
  test("chat.completions translated to an Anthropic backend, tool round trip", { timeout: TEST_TIMEOUT_MS }, async () => {
    const client = openai();
    const prompt = "Where is my parcel? CALL_TOOL please";
    const messages = [{ role: "user", content: prompt }];
    const { data: first, response } = await client.chat.completions
      .create({ model: "claude", messages, tools: openaiTools })
      .withResponse();
    assertRoute(response.headers, CLAUDE, "public");
    assert.equal(first.choices[0].finish_reason, "tool_calls");
    const call = first.choices[0].message.tool_calls[0];
    assert.equal(call.function.name, "lookup_order");
    assert.deepEqual(JSON.parse(call.function.arguments), { echo: prompt });

    messages.push(first.choices[0].message);
    messages.push({ role: "tool", tool_call_id: call.id, content: "shipped on Monday" });
    const second = await client.chat.completions.create({ model: "claude", messages, tools: openaiTools });
    assert.equal(second.choices[0].finish_reason, "stop");
    assert.equal(second.choices[0].message.content, "[claude] shipped on Monday");
  });

  test("pseudonymized streamed chat completion from an Anthropic backend", { timeout: TEST_TIMEOUT_MS }, async () => {
    const { data: stream, response } = await openai()
      .chat.completions.create({
        model: "masked",
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: "user", content: complaint }],
      })
      .withResponse();
    assertRoute(response.headers, CLAUDE, "confidential");
    let content = "";
    let finish = null;
    let usage = null;
    for await (const chunk of stream) {
      assert.equal(chunk.object, "chat.completion.chunk");
      content += chunk.choices[0]?.delta?.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    assert.equal(content, `[claude] ${complaint}`);
    assert.equal(finish, "stop");
    assert.ok(usage && usage.completion_tokens > 0, "usage chunk when asked for");
    await assertClaudeSawNoOriginals();
  });

  test("a parameter Anthropic lacks is refused with a 400 naming it", { timeout: TEST_TIMEOUT_MS }, async () => {
    await assert.rejects(
      openai().chat.completions.create({
        model: "claude",
        logit_bias: { 50256: -100 },
        messages: [{ role: "user", content: "hello" }],
      }),
      (error) => error instanceof OpenAI.BadRequestError && /logit_bias/.test(error.message),
    );
  });
});
