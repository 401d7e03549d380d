import type { Checkpointer } from '../journal/checkpointer.js';
import type { Journal } from '../journal/journal.js';
import type { Prover } from '../journal/prover.js';
import { journalOfflineRotations } from '../keys/key-journal.js';
import { CheckpointConflictError, DirectoryCheckpointSink, WebhookCheckpointSink } from './checkpoint-sinks.js';
import type { CheckpointSink } from './checkpoint-sinks.js';
import type { EvidenceConfig } from './evidence-config.js';
import { CheckpointSelfCheck } from './self-check.js';

/** What {@link startEvidence} started. */
export interface EvidenceRuntime {
  readonly sinks: readonly CheckpointSink[];
  readonly selfCheck: CheckpointSelfCheck;
  /** Stops the self-check and waits for publications in flight. */
  stop(): Promise<void>;
}

/** Options of {@link startEvidence}. */
export interface StartEvidenceOptions {
  readonly journal: Journal;
  readonly checkpointer: Checkpointer;
  readonly prover: Prover;
  readonly config: EvidenceConfig;
  readonly onError: (error: unknown, what: string) => void;
}

/**
 * Starts the evidence background work: journals key rotations done offline (`tamga keys rotate`), publishes
 * every signed checkpoint to the configured sinks (directory, webhook), and runs the checkpoint self-check.
 */
export async function startEvidence(options: StartEvidenceOptions): Promise<EvidenceRuntime> {
  const { journal, checkpointer, config, onError } = options;
  await journalOfflineRotations(journal);
  const directory = config.checkpointDir === undefined ? undefined : new DirectoryCheckpointSink(config.checkpointDir);
  const sinks: CheckpointSink[] = [];
  if (directory !== undefined) sinks.push(directory);
  if (config.checkpointWebhook !== undefined) sinks.push(new WebhookCheckpointSink({ url: config.checkpointWebhook }));
  const selfCheck = new CheckpointSelfCheck({
    journal,
    prover: options.prover,
    intervalMs: config.selfCheckIntervalMs,
    ...(directory !== undefined && { published: directory }),
    onError: (error) => onError(error, 'checkpoint self-check failed'),
  });
  const inFlight = new Set<Promise<void>>();
  const removeListener = checkpointer.onSigned((checkpoint, log) => {
    for (const sink of sinks) {
      const p = sink.publish(checkpoint, log.origin).catch((error: unknown) => {
        onError(error, `publishing a checkpoint to ${sink.name} failed`);
        // A conflicting published file means the log forked: let the self-check journal the incident now.
        if (error instanceof CheckpointConflictError) void selfCheck.runOnce().catch((e: unknown) => onError(e, 'checkpoint self-check failed'));
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
  });
  selfCheck.start();
  return {
    sinks,
    selfCheck,
    async stop() {
      removeListener();
      await selfCheck.stop();
      await Promise.allSettled([...inFlight]);
    },
  };
}
