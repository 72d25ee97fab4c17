/** `benchtwin run <scenario.yaml>`: run a scenario on its own bench and report each step. */
import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import { YamlFileError } from '../../devices/yaml-file.js';
import { loadScenario, runScenario, withCaptureDir, type StepResult } from '../bench/scenario.js';

export interface RunCommandOptions {
  file: string;
  json: boolean;
  /** Write one JSON line per bench and driver event here. */
  transcript: string | undefined;
}

export async function runScenarioCommand(o: RunCommandOptions): Promise<number> {
  let scenario;
  try {
    scenario = loadScenario(o.file);
  } catch (err) {
    if (err instanceof YamlFileError) {
      console.error(`benchtwin: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const captures = withCaptureDir(scenario);
  const transcript = o.transcript ?? path.join(captures, `${scenario.name}-transcript.jsonl`);
  const out: WriteStream = createWriteStream(transcript);
  if (!o.json) {
    console.log(
      `scenario ${scenario.name} (${o.file})${scenario.description ? `: ${scenario.description}` : ''}`,
    );
  }
  const print = (r: StepResult, total: number): void => {
    if (o.json) console.log(JSON.stringify({ step: r.index + 1, of: total, ...r }));
    else
      console.log(
        `  [${r.index + 1}/${total}] ${r.ok ? 'ok  ' : 'FAIL'} ${r.kind.padEnd(14)} ${r.detail}  (${r.ms} ms)`,
      );
  };
  let result;
  try {
    result = await runScenario(scenario, {
      onStep: print,
      onTranscript: (line: Record<string, unknown>) => out.write(`${JSON.stringify(line)}\n`),
    });
  } catch (err) {
    console.error(
      `benchtwin: scenario ${scenario.name} could not run: ${err instanceof Error ? err.message : String(err)}`,
    );
    return 1;
  } finally {
    await new Promise<void>((resolve) => out.end(resolve));
  }
  const passedSteps = result.steps.filter((s) => s.ok).length;
  if (o.json)
    console.log(
      JSON.stringify({
        scenario: result.name,
        passed: result.passed,
        steps: scenario.steps.length,
        ok: passedSteps,
        transcript,
        captures,
      }),
    );
  else {
    console.log(`${result.passed ? 'passed' : 'FAILED'}: ${passedSteps} of ${scenario.steps.length} steps`);
    console.log(`transcript ${transcript}; captures in ${captures}`);
  }
  return result.passed ? 0 : 1;
}
