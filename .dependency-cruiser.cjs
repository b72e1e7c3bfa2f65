// The layering of src/, checked by `npm run check` (depcruise): the folders are the pipeline and
// import only downward; only the sink talks to mysql2 and only the Kafka edges to kafkajs.
//
//   core      ← nothing of ours (logging, errors, source records, backoff)
//   language  ← core                          (the spec language's vocabulary: transforms, value types)
//   specs     ← language, core                (load YAML, JSON Schema, validate)
//   values    ← specs, language, core         (values at run time, no SQL: JSONPath, coercion, conditions)
//   compile   ← values, specs, language, core (pure: DDL, statements, the compiled spec, mapping an event)
//   store     ← compile, core                 (the statements of the engine's own tables, one file a table)
//   run       ← store, compile, values, specs, core (the engine: decide, group, execute)
//   sink      ← compile, core                 (MySQL; implements run's ports)
//   source    ← compile, core                 (JSONL, Kafka consumer; feeds run through an interface)
//   emit      ← source, compile, core         (Kafka producer)
//   reference ← run, store, compile, values, specs, core (the reference interpreter: what the tables must be)
//   examples  ← reference, run, compile, values, specs, core (the engine of `projector test`)
//   jobs      ← everything above (run, replay, rebuild, retry, status: start-up, pipeline, metrics)
//   cli       ← everything above, and tools/ (flags in, options to a job, printing out)
const below = {
  core: [],
  language: ["core"],
  specs: ["language", "core"],
  values: ["specs", "language", "core"],
  compile: ["values", "specs", "language", "core"],
  store: ["compile", "core"],
  run: ["store", "compile", "values", "specs", "language", "core"],
  sink: ["compile", "core"],
  source: ["compile", "core"],
  emit: ["source", "compile", "core"],
  reference: ["run", "store", "compile", "values", "specs", "language", "core"],
  examples: ["reference", "run", "compile", "values", "specs", "language", "core"],
  jobs: [
    "examples",
    "reference",
    "emit",
    "source",
    "sink",
    "run",
    "store",
    "compile",
    "values",
    "specs",
    "language",
    "core",
  ],
};

const layering = Object.entries(below).map(([folder, allowed]) => ({
  name: `${folder}-imports-downward`,
  comment: `src/${folder}/ may import only ${allowed.length ? allowed.map((a) => `src/${a}/`).join(", ") : "nothing of ours"} (and itself)`,
  severity: "error",
  from: { path: `^src/${folder}/` },
  to: {
    path: "^(src|tools)/",
    pathNot: [`^src/${folder}/`, ...allowed.map((a) => `^src/${a}/`)],
  },
}));

module.exports = {
  forbidden: [
    ...layering,
    {
      name: "the-cli-goes-through-jobs",
      comment:
        "src/cli/ takes flags in, hands options to a job (src/jobs/) and prints what it returns: it does not open the sink, build the engine's statements, drive the runtime or a source itself",
      severity: "error",
      from: { path: "^src/cli/" },
      to: {
        path: "^src/(sink|store|run|source|emit|reference|values)/",
      },
    },
    {
      name: "commands-do-not-import-commands",
      comment: "what two commands share lives in a job, or beside the commands in src/cli/",
      severity: "error",
      from: { path: "^src/cli/commands/" },
      to: { path: "^src/cli/commands/" },
    },
    {
      name: "only-the-sink-imports-mysql2",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/sink/" },
      to: { path: "(^|/)node_modules/mysql2/|^mysql2($|/)" },
    },
    {
      name: "only-the-kafka-edges-import-kafkajs",
      severity: "error",
      from: { path: "^src/", pathNot: ["^src/source/kafka/", "^src/emit/"] },
      to: { path: "(^|/)node_modules/kafkajs/|^kafkajs($|/)" },
    },
    {
      name: "no-circular-imports",
      comment: "a cycle between modules (and so between folders) of src/",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "tools-do-not-import-src",
      comment:
        "tools/ (the domain's generator) stays apart from the engine; the CLI imports it, not the other way",
      severity: "error",
      from: { path: "^tools/" },
      to: { path: "^src/" },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      from: { path: "^(src|tools)/" },
      to: { couldNotResolve: true, pathNot: "^node:" },
    },
  ],
  options: {
    // TypeScript 7 ships no compiler API; swc parses the sources (type-only imports included).
    parser: "swc",
    tsPreCompilationDeps: true,
    doNotFollow: { path: "node_modules" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".mjs"] },
  },
};
