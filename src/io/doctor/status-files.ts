import { readFile } from 'node:fs/promises';
import { parseSpeakerStatus, type SpeakerStatusView } from '../../domain/doctor/speaker-status.js';
import { AirlbError } from '../../errors.js';

/** Reads standalone speakers' status files (`airlb standalone --status-file`). */
export async function readSpeakerStatuses(paths: readonly string[]): Promise<SpeakerStatusView[]> {
  return Promise.all(
    paths.map(async (path) => {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        throw new AirlbError('status-file-unreadable', `cannot read the status file ${path}: ${(err as Error).message}`, { cause: err });
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new AirlbError('status-file-unreadable', `${path} is not JSON: ${(err as Error).message}`, { cause: err });
      }
      return parseSpeakerStatus(json, path);
    }),
  );
}
