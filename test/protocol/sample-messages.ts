// One well-formed message of every type, with every optional field used somewhere.
import { type ActorId, type Envelope, type Message, type MessageType, PROTOCOL_VERSION, messageId } from "../../src/protocol/messages.ts";

export function sampleMessages(step = 3): Record<MessageType, Message> {
  return {
    "policy.version": {
      type: "policy.version",
      step,
      version: 4,
      digest: "sha256:00ff",
      stats: {
        genReward: 0.25,
        predAcc: 0.5,
        zeroVarFrac: 0.1,
        genZeroVarFrac: 0,
        spanWords: 2.5,
        invalidFrac: 0.125,
        trained: 48,
        episodes: 64,
        loss: -0.0123,
        gradNorm: 1.75,
        clipFrac: 0.03,
      },
    },
    "sample.request": {
      type: "sample.request",
      step,
      version: 4,
      role: "generator",
      prompts: [
        { key: "s3/p0", text: "The quick brown fox" },
        { key: "s3/p1", text: "ünïcödé ✓ 漢字" },
      ],
      n: 8,
    },
    "sample.response": {
      type: "sample.response",
      request: messageId(step, "generator", "sample.request", "p0"),
      step,
      version: 4,
      role: "predictor",
      results: [
        {
          key: "s3/p0/g1",
          completions: [
            { text: "fox", tokens: new Int32Array([17, -1, 2147483647, -2147483648]), logprobs: new Float32Array([-0.5, -1.25, -0, Number.NEGATIVE_INFINITY]) },
            { text: "no tokens" },
          ],
        },
      ],
    },
    "entropy.request": { type: "entropy.request", step, version: 2, prompts: [{ key: "s3/p0", text: "The quick brown fox." }] },
    "entropy.response": { type: "entropy.response", request: "r1", step, version: 2, results: [{ key: "s3/p0", entropies: [0, 1.5, 0.25, 3] }] },
    "logprob.request": { type: "logprob.request", step, version: 2, weights: "ema", items: [{ key: "s3/p0/t4", context: "The quick brown", target: " fox" }] },
    "logprob.response": { type: "logprob.response", request: "r2", step, version: 2, results: [{ key: "s3/p0/t4", logprob: -2.5, tokens: 1 }] },
    contexts: { type: "contexts", step, version: 2, group: "s3/p0", items: [{ key: "s3/p0/t0", context: "The quick brown" }] },
    targets: { type: "targets", step, version: 2, group: "s3/p0", items: [{ key: "s3/p0/t0", context: "The quick brown", target: " fox" }] },
    proposals: {
      type: "proposals",
      step,
      version: 2,
      batch: "deduction/c0",
      taskType: "deduction",
      proposals: [{ key: "s3/deduction/0", rollouts: [{ program: "def f(a):\n    return a", inputs: ["1"] }, { program: "", inputs: [], invalid: "no program" }] }],
    },
    tasks: { type: "tasks", step, version: 2, batch: "deduction/c0", tasks: [{ key: "s3/deduction/0/g0", prompt: "What is f(1)?" }] },
    validated: { type: "validated", step, batch: "induction/c0", taskType: "induction", triplets: [{ program: "def f(a):\n    return a", input: "1", output: "1", message: "identity" }] },
    scored: {
      type: "scored",
      step,
      passage: "s3/p0",
      groups: [
        { role: "predictor", key: "s3/p0/g1", rewards: [1, 0, 0.5], acc: 0.5 },
        { role: "generator", key: "s3/p0", rewards: [0.3, 0], spanWords: [2, 0], invalid: 1 },
      ],
    },
    masks: { type: "masks", step, version: 4, passage: "s3/p0", masks: [{ maskId: "s3/p0/g1", masked: "The quick [MASK] fox" }] },
    answers: {
      type: "answers",
      step,
      passage: "s3/p0",
      answers: [
        { maskId: "s3/p0/g1", span: "brown" },
        { maskId: "s3/p0/g2", span: null, invalid: "no \\mask{} found" },
      ],
    },
    predictions: { type: "predictions", step, passage: "s3/p0", groups: [{ maskId: "s3/p0/g1", completions: ["brown", "red", ""] }] },
  };
}

export const ROUTES: Record<MessageType, [ActorId, ActorId]> = {
  "policy.version": ["learner", "generator"],
  "sample.request": ["generator", "learner"],
  "sample.response": ["learner", "predictor"],
  "entropy.request": ["generator", "learner"],
  "entropy.response": ["learner", "generator"],
  "logprob.request": ["reward", "learner"],
  "logprob.response": ["learner", "reward"],
  contexts: ["generator", "predictor"],
  targets: ["generator", "reward"],
  proposals: ["generator", "reward"],
  tasks: ["reward", "predictor"],
  validated: ["reward", "generator"],
  scored: ["reward", "learner"],
  masks: ["generator", "predictor"],
  answers: ["generator", "reward"],
  predictions: ["predictor", "reward"],
};

export function envelopeOf(msg: Message, key = "k"): Envelope {
  const [from, to] = ROUTES[msg.type];
  return { v: PROTOCOL_VERSION, id: messageId(msg.step, from, msg.type, key), from, to, msg };
}
