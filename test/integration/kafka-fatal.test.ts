import { AssignerProtocol, type Consumer, Kafka, logLevel, type PartitionAssigner } from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";
import { MAIN_BROKER } from "../helpers/kafka/context.js";
import { logLines, projector } from "../helpers/kafka/processes.js";
import { appliedCount } from "../helpers/kafka/progress.js";
import { testScope } from "../helpers/kafka/scope.js";
import { readEvents, streamFile } from "../helpers/streams.js";

const scope = testScope();
const consumers: Consumer[] = [];
afterAll(async () => {
  for (const c of consumers) await c.disconnect().catch(() => undefined);
});

/** Another application's assignor: its group speaks a protocol projector's consumers do not. */
const otherAssigner: PartitionAssigner = () => ({
  name: "OtherAppAssigner",
  version: 1,
  async assign({ members, topics }) {
    return members.map((m, i) => ({
      memberId: m.memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version: 1,
        assignment: i === 0 ? { [topics[0]!]: [0] } : {},
        userData: Buffer.alloc(0),
      }),
    }));
  },
  protocol({ topics }) {
    return {
      name: "OtherAppAssigner",
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
    };
  },
});

describe("a consumer error kafkajs does not retry", () => {
  it("ends run with exit 1 and the reason, moves no offset, and a later run applies everything", async () => {
    const { db, ctx, env } = await scope.kafka(2);
    const file = await streamFile(300, 23);
    const total = readEvents(file).length;
    expect((await projector(["emit", file], env)).status).toBe(0);

    // Another application holds the group id: the broker refuses projector's JoinGroup with
    // INCONSISTENT_GROUP_PROTOCOL, which kafkajs does not retry.
    const kafka = new Kafka({ clientId: "other-app", brokers: [MAIN_BROKER], logLevel: logLevel.NOTHING });
    const other = kafka.consumer({ groupId: ctx.group, partitionAssigners: [otherAssigner] });
    consumers.push(other);
    await other.connect();
    await other.subscribe({ topics: [`${ctx.prefix}order`] });
    let joined!: () => void;
    const inGroup = new Promise<void>((resolve) => (joined = resolve));
    other.on(other.events.GROUP_JOIN, () => joined());
    await other.run({ eachMessage: async () => undefined });
    await inGroup;

    const run = scope.spawn(["run"], env, { logs: true });
    const failed = await run.wait(60_000);
    expect(failed.status, failed.stderr.slice(-3000)).toBe(1);
    const crash = logLines(failed.stderr).find(
      (l) => l.msg === "consumer crashed and kafkajs does not restart it; stopping",
    );
    expect(crash?.level).toBe("error");
    expect(String(crash?.error)).toMatch(/incompatible/);
    expect(String(crash?.error)).toContain(`consumer group ${ctx.group} belongs to another application`);
    expect(await appliedCount(db, ctx.group)).toBe(0);

    // Once the group is free, everything is applied: the failed run lost nothing.
    await other.disconnect();
    const again = await projector(["run", "--until-caught-up"], env);
    expect(again.status, again.stderr.slice(-3000)).toBe(0);
    expect(await appliedCount(db, ctx.group)).toBe(total);
  }, 120_000);
});
