export const REPO: string
export function linkModules(dir: string): void
