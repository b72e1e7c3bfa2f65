/** The engine's own tables, next to the projected ones. */
export const DEAD_LETTERS = "projector_dead_letters";
export const OFFSETS = "projector_offsets";
export const TOMBSTONES = "projector_tombstones";

export const ENGINE_TABLES: readonly { name: string; ddl: string }[] = [
  {
    name: DEAD_LETTERS,
    // Keyed by where the event came from, so a redelivered bad event is recorded once.
    ddl: `CREATE TABLE IF NOT EXISTS \`${DEAD_LETTERS}\` (
  \`id\` BIGINT NOT NULL AUTO_INCREMENT,
  \`source\` VARCHAR(255) NOT NULL,
  \`position\` VARCHAR(100) NOT NULL,
  \`event_id\` VARCHAR(255) NULL,
  \`event_type\` VARCHAR(255) NULL,
  \`reason\` TEXT NOT NULL,
  \`payload\` LONGBLOB NOT NULL,
  \`failed_at\` DATETIME(6) NOT NULL,
  PRIMARY KEY (\`id\`),
  UNIQUE KEY \`uq_dead_letters_source_position\` (\`source\`, \`position\`),
  KEY \`idx_dead_letters_event_type\` (\`event_type\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
  },
  {
    name: OFFSETS,
    // Written in the same transaction as the rows: the consumer resumes from here (effectively once).
    ddl: `CREATE TABLE IF NOT EXISTS \`${OFFSETS}\` (
  \`consumer_group\` VARCHAR(255) NOT NULL,
  \`topic\` VARCHAR(255) NOT NULL,
  \`partition_id\` INT NOT NULL,
  \`next_offset\` BIGINT NOT NULL,
  \`updated_at\` DATETIME(6) NOT NULL,
  PRIMARY KEY (\`consumer_group\`, \`topic\`, \`partition_id\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
  },
  {
    name: TOMBSTONES,
    // Hard-deleted rows of tables with a guard, with the guard value of the delete: an older event
    // does not bring such a row back. Keyed by SHA-1 of table and key (keys of any length). No wall
    // clock: the table, like the projected ones, is a function of the stream.
    ddl: `CREATE TABLE IF NOT EXISTS \`${TOMBSTONES}\` (
  \`key_hash\` BINARY(20) NOT NULL,
  \`table_name\` VARCHAR(64) NOT NULL,
  \`row_key\` TEXT NOT NULL,
  \`guard\` VARCHAR(100) NOT NULL,
  PRIMARY KEY (\`key_hash\`),
  KEY \`idx_tombstones_table\` (\`table_name\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
  },
];
