import { Command, Option } from "commander";
import { forTerminal } from "../core/terminal.js";
import { UserError } from "../core/user-error.js";
import { DEFAULT_PROJECTIONS } from "../jobs/load-specs.js";
import { formatIssue, SpecError } from "../specs/issues.js";
import { ddlCommand } from "./commands/ddl.js";
import {
  type LetterOptions,
  listCommand,
  purgeCommand,
  retryCommand,
  showCommand,
} from "./commands/dead-letters.js";
import { emitCommand } from "./commands/emit.js";
import { generateCommand } from "./commands/generate.js";
import { migrateCommand } from "./commands/migrate.js";
import { rebuildCommand } from "./commands/rebuild.js";
import { replayCommand } from "./commands/replay.js";
import { runCommand } from "./commands/run.js";
import { statusCommand } from "./commands/status.js";
import { testCommand } from "./commands/test.js";
import { validateCommand } from "./commands/validate.js";
import { tuneHeap } from "./heap.js";

/** How long a finished command waits for the event loop to drain by itself before it exits. */
const EXIT_GRACE_MS = 3_000;

tuneHeap();

const program = new Command("projector")
  .description("Project Kafka domain events into MySQL tables, driven by YAML specs")
  .showHelpAfterError();

const projections = () =>
  new Option("--projections <dir>", "folder of projection specs (env PROJECTOR_PROJECTIONS)").default(
    DEFAULT_PROJECTIONS,
  );

/** Runs a command body and turns its result or error into an exit code. */
function action<A extends unknown[]>(fn: (...args: A) => number | Promise<number>) {
  return async (...args: A) => {
    process.exitCode = await fn(...args);
  };
}

program
  .command("validate")
  .description("load and check the specs; exit 1 with file:line:col: message lines on any problem")
  .addOption(projections())
  .action(action((o: { projections: string }) => validateCommand(o.projections)));

program
  .command("ddl")
  .description("print CREATE TABLE IF NOT EXISTS for every table, parents before children")
  .addOption(projections())
  .option("--statements", "also print the statement every action compiles to")
  .option(
    "--dialect <name>",
    "mariadb or mysql: the server the DDL is for (key collations differ)",
    "mariadb",
  )
  .action(
    action((o: { projections: string; statements?: boolean; dialect?: string }) =>
      ddlCommand(o.projections, o),
    ),
  );

program
  .command("test")
  .description("check the examples carried by the specs (event in, row operations out), no database")
  .addOption(projections())
  .action(action((o: { projections: string }) => testCommand(o.projections)));

const mysqlOption = () => new Option("--mysql-url <url>", "MySQL URL (env MYSQL_URL)");

const maxRecordBytes = () =>
  new Option(
    "--max-record-bytes <size>",
    "largest record kept whole; a larger one is dead-lettered with its first 4 KB and its size (env PROJECTOR_MAX_RECORD_BYTES)",
  ).default(process.env.PROJECTOR_MAX_RECORD_BYTES ?? "4mb");

program
  .command("migrate")
  .description("create the database and missing tables, add missing columns and indexes; never drop")
  .addOption(projections())
  .addOption(mysqlOption())
  .option("--dry-run", "print the statements without running them")
  .action(
    action((o: { projections: string; dryRun?: boolean; mysqlUrl?: string }) =>
      migrateCommand(o.projections, o),
    ),
  );

program
  .command("replay")
  .description(
    "apply envelope events from a JSONL file or stdin (-) to MySQL, through the same runtime as run",
  )
  .argument("<input>", "JSONL file, or - for stdin")
  .addOption(projections())
  .addOption(mysqlOption())
  .option("--batch-size <n>", "events per transaction", process.env.PROJECTOR_BATCH_SIZE ?? "1000")
  .option("--linger-ms <ms>", "longest wait to fill a batch from a slow input", "50")
  .addOption(maxRecordBytes())
  .option(
    "--max-retries <n>",
    "give up after this many failed attempts of one batch (MySQL unavailable, or a table or grant missing)",
    "12",
  )
  .option(
    "--dead-letter-unknown",
    "dead-letter events of unknown types instead of counting and skipping them",
  )
  .option(
    "--no-lookahead",
    "plan each batch inside its own transaction instead of while the previous one is written (slower; same result)",
  )
  .option(
    "--allow-spec-drift",
    "write tables whose rows follow older specs than those on disk instead of refusing (projector rebuild fills them in)",
  )
  .option(
    "--defer-indexes <when>",
    "build the secondary indexes of empty tables once after the load instead of row by row: auto (a file of 32 MiB or more), always, never",
    "auto",
  )
  .option("--json", "print the summary as JSON")
  .action(
    action((input: string, o: { projections: string } & Parameters<typeof replayCommand>[2]) =>
      replayCommand(o.projections, input, o),
    ),
  );

program
  .command("run")
  .description(
    "consume Kafka and project into MySQL until stopped, or until every assigned partition's lag is zero",
  )
  .addOption(projections())
  .addOption(mysqlOption())
  .option("--brokers <list>", "Kafka brokers, comma separated (env KAFKA_BROKERS)")
  .option("--group <id>", "consumer group (env KAFKA_GROUP_ID, default projector)")
  .option(
    "--from-beginning",
    "reprocess every topic from its earliest offset (forgets this group's stored offsets)",
  )
  .option("--until-caught-up", "exit 0 once every assigned partition's lag is zero")
  .option(
    "--metrics-port <port>",
    "serve /metrics, /healthz and /readyz on this port (env METRICS_PORT)",
    process.env.METRICS_PORT,
  )
  .option(
    "--metrics-host <host>",
    "address the metrics server listens on (env METRICS_HOST; 0.0.0.0 for every interface)",
    process.env.METRICS_HOST ?? "127.0.0.1",
  )
  .option("--batch-size <n>", "most events per MySQL transaction", process.env.PROJECTOR_BATCH_SIZE ?? "1000")
  .addOption(maxRecordBytes())
  .option(
    "--dead-letter-unknown",
    "dead-letter events of unknown types instead of counting and skipping them",
  )
  .option(
    "--no-lookahead",
    "plan each transaction inside it instead of while the previous one is written (slower; same result)",
  )
  .option(
    "--allow-spec-drift",
    "write tables whose rows follow older specs than those on disk instead of refusing (projector rebuild fills them in)",
  )
  .option(
    "--defer-indexes <when>",
    "into empty tables, build their secondary indexes once nearly caught up instead of row by row: auto (50,000 events or more behind at start), always, never",
    "auto",
  )
  .option("--json", "print the summary as JSON when the run ends")
  .action(
    action((o: { projections: string } & Parameters<typeof runCommand>[1]) => runCommand(o.projections, o)),
  );

program
  .command("emit")
  .description(
    "publish JSONL events to Kafka: envelopes as they are, {event_type, entity_id, data} wrapped in one",
  )
  .argument("<input>", "JSONL file, or - for stdin")
  .option("--brokers <list>", "Kafka brokers, comma separated (env KAFKA_BROKERS)")
  .option("--partitions <n>", "partitions of topics created on the way (env PROJECTOR_PARTITIONS, default 6)")
  .option("--batch-size <n>", "messages per produce request", "2000")
  .addOption(maxRecordBytes())
  .action(action((input: string, o: Parameters<typeof emitCommand>[1]) => emitCommand(input, o)));

program
  .command("status")
  .description(
    "consumer lag per topic and partition, dead letters, events, rows per table and their specs, rebuilds (--watch: live)",
  )
  .addOption(projections())
  .addOption(mysqlOption())
  .option("--brokers <list>", "Kafka brokers, comma separated (env KAFKA_BROKERS)")
  .option("--group <id>", "consumer group (env KAFKA_GROUP_ID, default projector)")
  .option("--json", "print JSON")
  .option("--watch", "a live view, redrawn in place on a terminal (plain lines when piped) until Ctrl-C")
  .option("--interval <seconds>", "seconds between two frames of --watch", "2")
  .action(
    action((o: { projections: string } & Parameters<typeof statusCommand>[1]) =>
      statusCommand(o.projections, o),
    ),
  );

program
  .command("rebuild")
  .description(
    "build tables (and their child tables) again with the specs on disk into shadow tables while run keeps the live ones current, then swap them in atomically",
  )
  .argument("<tables...>", "the tables to rebuild")
  .addOption(projections())
  .addOption(mysqlOption())
  .option("--brokers <list>", "Kafka brokers, comma separated (env KAFKA_BROKERS)")
  .option("--group <id>", "the live consumer group (env KAFKA_GROUP_ID, default projector)")
  .option("--from <file>", "rebuild from a JSONL file instead of Kafka (tables built by replay)")
  .option("--dry-run", "say what would be rebuilt and why; write nothing")
  .option("--drop-old", "drop the replaced tables after the swap (else kept as <table>__old)")
  .option("--batch-size <n>", "most events per MySQL transaction", process.env.PROJECTOR_BATCH_SIZE ?? "1000")
  .addOption(maxRecordBytes())
  .option("--json", "print the summary as JSON")
  .action(
    action((tables: string[], o: { projections: string } & Parameters<typeof rebuildCommand>[2]) =>
      rebuildCommand(o.projections, tables, o),
    ),
  );

const letters = program
  .command("dead-letters")
  .description("list, show, retry after a fix, or purge the events projector could not apply");

/** The filters of every dead-letters subcommand. */
function letterFilters(c: Command): Command {
  return c
    .option("--event-type <type>", "only letters of this event type")
    .option("--source <name>", "only letters from this source: a topic, a file name, stdin")
    .option("--reason <text>", "only letters whose reason contains this text")
    .option("--since <time>", "only letters that last failed at or after this time (ISO, or 15m, 2h, 7d ago)")
    .option("--kind <kind>", "failed (the event failed) or unmatched (an update found no row yet)")
    .addOption(mysqlOption())
    .option("--json", "print JSON");
}

letterFilters(letters.command("list").description("the matching letters, oldest first"))
  .option("--limit <n>", "print at most this many (0: all)", "100")
  .action(action((o: LetterOptions & { limit: string }) => listCommand(o)));

letters
  .command("show")
  .description("one letter with its raw payload")
  .argument("<id>", "the letter's id (see list)")
  .addOption(mysqlOption())
  .option("--json", "print JSON")
  .action(action((id: string, o: { mysqlUrl?: string; json?: boolean }) => showCommand(id, o)));

letterFilters(
  letters
    .command("retry")
    .description(
      "apply the matching letters again with the current specs, in their original order; remove those that apply",
    ),
)
  .addOption(projections())
  .option("--batch-size <n>", "letters per transaction", "500")
  .option("--dry-run", "say what would be retried, and which still fail to map; write nothing")
  .action(
    action((o: LetterOptions & { projections: string; dryRun?: boolean; batchSize: string }) =>
      retryCommand(o.projections, o),
    ),
  );

letterFilters(letters.command("purge").description("delete the matching letters (asks first on a terminal)"))
  .option("--yes", "delete without asking")
  .option("--dry-run", "say how many would be deleted")
  .action(action((o: LetterOptions & { yes?: boolean; dryRun?: boolean }) => purgeCommand(o)));

program
  .command("generate")
  .description("write a deterministic synthetic Social Commerce event stream as JSONL to stdout")
  .requiredOption("--count <n>", "number of events")
  .option("--seed <s>", "random seed: the same seed gives the same stream", "1")
  .option("--start <iso>", "timestamp of the first event", "2025-01-01T00:00:00Z")
  .action(action((o: { count: string; seed: string; start?: string }) => generateCommand(o)));

try {
  await program.parseAsync(process.argv);
} catch (e) {
  // Messages quote specs, files and events: their control characters are escaped (their lines kept).
  if (e instanceof SpecError) {
    process.stderr.write(
      `${e.issues.map((i) => forTerminal(formatIssue(i))).join("\n")}\n\n${e.issues.length} problem(s) in the specs; run projector validate\n`,
    );
    process.exitCode = 1;
  } else if (e instanceof UserError) {
    process.stderr.write(`projector: ${forTerminal(e.message, true)}\n`);
    process.exitCode = e.exitCode;
  } else {
    process.stderr.write(
      `projector: internal error (a bug, please report it): ${forTerminal(String((e as Error).stack ?? e), true)}\n`,
    );
    process.exitCode = 70;
  }
}
// The command is done and its exit code set. A client library may still hold a handle open (kafkajs
// keeps a reconnect timer after a broker came and went): exit anyway once what is pending had a moment.
setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
