export const DOC_FILES: string[]
export function normalise(text: string, dir: string): string
export type RunCommand = (
  dir: string,
  command: 'vitest' | 'flakeseed',
  args: string[],
  env: Record<string, string>,
) => { code: number | null; out: string } | Promise<{ code: number | null; out: string }>
export const spawnCommand: RunCommand
export function produceSamples(runCommand?: RunCommand): Promise<Map<string, string>>
export function applySamples(markdown: string, samples: ReadonlyMap<string, string>, file?: string): string
export function usedSamples(files?: readonly string[]): Map<string, string[]>
