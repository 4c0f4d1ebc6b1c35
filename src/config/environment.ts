/**
 * The process environment, with a `.env` file in the working directory filling what it leaves
 * unset. This module and config.ts are the only places that read `process.env`.
 */
import { mergeEnvironment, readDotEnv } from './dotenv.js';

export function readEnvironment(dotEnvFile = '.env'): Record<string, string> {
  return mergeEnvironment(readDotEnv(dotEnvFile), process.env);
}
