export const DOC_FILES: string[]
export function normalise(text: string, dir: string): string
export function produceSamples(): Map<string, string>
export function applySamples(markdown: string, samples: ReadonlyMap<string, string>, file?: string): string
export function usedSamples(files?: readonly string[]): Map<string, string[]>
