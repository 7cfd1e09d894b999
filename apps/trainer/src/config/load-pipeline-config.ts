import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { parseDocument, type YAMLError } from 'yaml';

import { ConfigError } from '../errors/config-error.js';
import { configConsistencyIssues } from './config-consistency.js';
import { configIssues } from './config-issues.js';
import { pipelineConfigSchema, type PipelineConfig } from './pipeline-config-schema.js';

/**
 * Validates a config object against {@link pipelineConfigSchema}, fills in every default, and checks the keys that
 * depend on each other (image size vs patch size, GM-Coord on retrieval, calibration without pre-training).
 *
 * @param file named in error messages
 * @throws ConfigError listing every unknown key and wrong value, each with its dotted path and the allowed values
 */
export function parsePipelineConfig(document: unknown, file = '<inline>'): PipelineConfig {
  const result = pipelineConfigSchema.safeParse(document);
  if (!result.success) throw new ConfigError(file, configIssues(result.error.issues, document));
  const inconsistent = configConsistencyIssues(result.data);
  if (inconsistent.length > 0) throw new ConfigError(file, inconsistent);
  return result.data;
}

/**
 * Reads a pipeline config file, YAML (`.yaml`, `.yml`) or JSON (`.json`) by extension, and validates it.
 *
 * @throws ConfigError when the file is missing, has another extension, does not parse (with line and column), or
 *   does not validate
 */
export async function loadPipelineConfig(file: string): Promise<PipelineConfig> {
  const extension = path.extname(file).toLowerCase();
  if (!['.yaml', '.yml', '.json'].includes(extension)) {
    throw new ConfigError(file, [{ path: '', message: `unknown file type '${extension}': expected .yaml, .yml or .json` }]);
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [{ path: '', message: `cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` }], {
      cause: error,
    });
  }
  let document: unknown;
  if (extension === '.json') {
    try {
      document = JSON.parse(text);
    } catch (error) {
      throw new ConfigError(file, [{ path: '', message: `not valid JSON: ${(error as Error).message}` }], { cause: error });
    }
  } else {
    // Warnings count as errors: an unknown tag (`!!js/function`) would otherwise load as a plain string.
    const parsed = parseDocument(text);
    const problems: YAMLError[] = [...parsed.errors, ...parsed.warnings];
    if (problems.length > 0) {
      throw new ConfigError(
        file,
        problems.map((problem) => ({ path: '', message: `not valid YAML${yamlPosition(problem)}: ${problem.message.split('\n')[0]}` })),
        {
          cause: problems[0],
        },
      );
    }
    document = parsed.toJS();
  }
  return parsePipelineConfig(document ?? {}, file);
}

function yamlPosition(problem: YAMLError): string {
  return problem.linePos ? ` at line ${problem.linePos[0].line}, column ${problem.linePos[0].col}` : '';
}
