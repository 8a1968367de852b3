export function findChromium(): string | undefined
export function openPage(binary: string, file: string): { dom: string; console: string[] }
export function screenshot(binary: string, file: string, png: string, width?: number, height?: number): string[]
