import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile/compile.js";
import { catalogLines, catalogStreamArb } from "../helpers/differential/catalog-streams.js";
import { compileYaml, difference, referenceOutcome } from "../helpers/differential/harness.js";
import { type KafkaConfig, kafkaOutcome } from "../helpers/differential/kafka-run.js";
import {
  type Line,
  smallSpecArb,
  specYaml,
  streamArb,
  streamLines,
} from "../helpers/differential/small-specs.js";
import { testScope } from "../helpers/kafka/scope.js";
import { loadSpecDirOrThrow } from "../helpers/specs.js";

/**
 * Same stream, same tables, through Kafka: `projector run` on one partition and on several (group
 * commit over partitions, small and large batches) must leave the reference interpreter's tables
 * and letters. Slower than replay (a consumer group per run): a few cases in `npm test`, more with
 * `npm run fuzz` (FUZZ_KAFKA_CASES).
 */
const FUZZING = process.env.FUZZ_CASES !== undefined || process.env.FUZZ_KAFKA_CASES !== undefined;
const CASES = Number(
  process.env.FUZZ_KAFKA_CASES ??
    (process.env.FUZZ_CASES ? Math.ceil(Number(process.env.FUZZ_CASES) / 200) : 2),
);
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : FUZZING ? undefined : 23;
const CONFIGS: readonly KafkaConfig[] = [
  { partitions: 1, batchSize: 1000 },
  { partitions: 3, batchSize: 2 },
];

const scope = testScope();

async function check(
  specs: { dir?: string; yaml?: string },
  compiled: ReturnType<typeof compile>,
  lines: readonly Line[],
  what: string,
): Promise<void> {
  const expected = referenceOutcome(
    compiled,
    lines.map((l) => l.text),
  );
  for (const config of CONFIGS) {
    const { outcome, db } = await kafkaOutcome(scope, compiled, specs, lines, config);
    const label = `run (${config.partitions} partition${config.partitions > 1 ? "s" : ""}, --batch-size ${config.batchSize})`;
    const diff = difference(expected, outcome, label);
    await db.drop();
    if (diff)
      throw new Error(
        `${label} differs from the reference (${what}):\n${diff}\n--- spec ---\n${specs.yaml ?? specs.dir}\n--- stream ---\n${lines.map((l) => l.text).join("\n")}\n`,
      );
  }
}

describe("same stream, same tables, through Kafka (differential)", () => {
  it("the three events of issue 23 give the replay's tables and letters (the refund heals)", async () => {
    const yaml = `tables:
  pays: { primary_key: [pay_id], columns: { pay_id: { type: varchar(36) }, amount_cents: { type: int, nullable: true } } }
  pay_refunds:
    parent: { table: pays, columns: [pay_id] }
    primary_key: [pay_id, refund_id]
    columns: { pay_id: { type: varchar(36) }, refund_id: { type: varchar(36) } }
events:
  pay.created:
    - { upsert: pays, columns: { pay_id: $.entity_id, amount_cents: $.data.amount_cents } }
    - { replace: pay_refunds, where: { pay_id: $.entity_id }, for_each: $.data.refunds, columns: { refund_id: "@.refund_id" } }
  pay.refunded:
    - { upsert: pay_refunds, columns: { pay_id: $.entity_id, refund_id: $.data.refund_id } }
`;
    const events = [
      ["pay.created", "01", "2025-01-01T00:00:00Z", "A", { amount_cents: 1, refunds: [] }],
      ["pay.refunded", "02", "2025-01-01T00:00:02Z", "B", { refund_id: "r1" }],
      ["pay.created", "03", "2025-01-01T00:00:01Z", "B", { amount_cents: 2, refunds: [] }],
    ] as const;
    const lines = events.map(([event_type, n, timestamp, entity_id, data]) => ({
      key: entity_id,
      text: JSON.stringify({
        event_type,
        event_id: `00000000-0000-4000-8000-0000000000${n}`,
        timestamp,
        entity_id,
        data,
      }),
    }));
    const compiled = compileYaml(yaml);
    const expected = referenceOutcome(
      compiled,
      lines.map((l) => l.text),
    );
    // The refund waited for its payment, and healed with the payment's create.
    expect(expected.letters).toEqual([]);
    expect(expected.tables.pay_refunds).toEqual([JSON.stringify(["B", "r1"])]);
    await check({ yaml }, compiled, lines, "issue 23");
  }, 120_000);

  it(
    "small generated specs: one partition and several leave the reference's tables and letters",
    async () => {
      await fc.assert(
        fc.asyncProperty(smallSpecArb, streamArb(25), async (spec, events) => {
          const yaml = specYaml(spec);
          await check({ yaml }, compileYaml(yaml), streamLines(spec, events), "small spec");
        }),
        { numRuns: CASES, ...(SEED === undefined ? {} : { seed: SEED }) },
      );
    },
    FUZZING ? 24 * 3600_000 : 240_000,
  );

  it(
    "the shipped catalog: a disturbed generated stream leaves the reference's tables and letters",
    async () => {
      const compiled = compile(loadSpecDirOrThrow("projections"));
      await fc.assert(
        fc.asyncProperty(catalogStreamArb(150), async (stream) => {
          await check(
            { dir: "projections" },
            compiled,
            catalogLines(stream),
            `catalog stream ${JSON.stringify(stream)}`,
          );
        }),
        { numRuns: Math.max(1, Math.round(CASES / 2)), ...(SEED === undefined ? {} : { seed: SEED }) },
      );
    },
    FUZZING ? 24 * 3600_000 : 240_000,
  );
});
